// HubbubClient: one connection to a Hubbub server that survives restarts, evictions and dead
// links, and the SDK's public API. What keeps it connected and routes frames to its state is
// ClientCore (core.ts); this file is what an app calls. Works wherever a global WebSocket
// exists: browsers, Bun, Node 22+. It imports only src/shared/ (the zod schemas' types, never
// zod itself).
import { MAX_HISTORY_LIMIT, TYPING_INTERVAL_MS } from "../shared/limits.ts";
import { NAME_RULE, normalizeName, normalizeRoom } from "../shared/names.ts";
import { isEmoji } from "../shared/emoji.ts";
import type { AckFrame, Limits, Member, MessageFrame } from "../shared/protocol.ts";
import { runCommand } from "./command.ts";
import { ClientCore, closedError } from "./core.ts";
import type { Listener } from "./emitter.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import type { ConnectionState, ClientEvents, Frame } from "./events.ts";
import { expectedMessage } from "./lines.ts";
import type { HistoryPage, MemberPage } from "./options.ts";

export class HubbubClient extends ClientCore {
  // ---- events and state ------------------------------------------------------------------

  on<K extends keyof ClientEvents>(type: K, fn: Listener<ClientEvents[K]>): () => void {
    return this.events.on(type, fn);
  }

  off<K extends keyof ClientEvents>(type: K, fn: Listener<ClientEvents[K]>): void {
    this.events.off(type, fn);
  }

  get state(): ConnectionState {
    return this.link.state;
  }
  /** The user id: stable across reconnects and shared by the user's tabs (a token's `sub`, or a resumed guest's); null before the first welcome. */
  get id(): string | null {
    return this.identity.id;
  }
  /** This connection's id (new on every connection); null before the first welcome. */
  get conn(): string | null {
    return this.identity.conn;
  }
  get name(): string | null {
    return this.identity.name;
  }
  /** The latest resume token (anonymous servers), or the one given in the options; null if none. */
  get resume(): string | null {
    return this.identity.resume;
  }
  get limits(): Limits | null {
    return this.identity.limits;
  }
  /** Rooms this client is in, or will rejoin; the first is the default for send(). */
  get rooms(): string[] {
    return this.rooms_.names;
  }
  /** The live user list of a room (one entry per user, however many tabs), in join order. */
  users(room: string): Member[] {
    return this.rooms_.users(room);
  }
  /** Who is typing in a room now (this user's other tabs left out), in the order they started. */
  typing(room: string): Member[] {
    return this.typists.in(normalizeRoom(room) ?? room);
  }
  /** This user's read marker for a room: the highest seq marked read (here, in another tab, or before a reconnect); 0 when none. */
  lastRead(room: string): number {
    return this.reads.get(normalizeRoom(room) ?? room);
  }
  /** Messages accepted by send()/direct() and not settled yet. */
  get pending(): number {
    return this.outbox.size;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Starts connecting (if not already) and resolves once connected and every room is synced. */
  connect(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.finished = false;
      this.closing = null;
      this.link.start();
    }
    return this.ready.promise;
  }

  /** Closes for good: no reconnect, everything pending fails with `closed`. Resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.started = false;
    this.finished = true;
    const err = closedError();
    this.closing = this.link.stop(err);
    this.fail(err);
    return this.closing;
  }

  /** While waiting to reconnect, tries now instead (e.g. the browser came back online). */
  reconnectNow(): void {
    this.link.reconnectNow();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Sends a chat message (plain text, `//literal`, `/me <action>` or `/shrug [text]`) to `room`
   * (default: the first room) and resolves with its ack. While disconnected it is queued; one in
   * flight at a drop is sent again with the same cid, so it is published once.
   */
  send(text: string, room?: string): Promise<AckFrame> {
    if (this.finished) return Promise.reject(closedError());
    if (!expectedMessage(text)) return Promise.reject(new HubbubError(ClientErrorCode.BadCall, "send() takes text, /me or /shrug; commands go through command()"));
    const target = room === undefined ? this.rooms_.first : normalizeRoom(room);
    if (!target) return Promise.reject(new HubbubError(room === undefined ? "not_in_room" : "invalid_room", `cannot send to ${room ?? "no room"}`));
    const done = this.outbox.chat(text, target);
    // The message ends this typing spell (the server forgets it too): the next keystroke reports at once.
    this.typedAt.delete(target);
    this.flush();
    return done;
  }

  /** Sends a direct message to the user called `to`; resolves with the sender's copy of the `direct` frame. Queued and retried like send(). */
  direct(to: string, text: string): Promise<Frame<"direct">> {
    if (this.finished) return Promise.reject(closedError());
    const done = this.outbox.direct(to, text);
    this.flush();
    return done;
  }

  /**
   * Tells the room's members this user is typing (call it on every keystroke): sent at most once
   * per TYPING_INTERVAL_MS per room, and only while connected (a stale "typing" is worse than
   * none). True when a frame went out.
   */
  notifyTyping(room?: string, now = Date.now()): boolean {
    const name = room === undefined ? this.rooms_.first : normalizeRoom(room);
    if (!name || !this.rooms_.get(name) || this.link.state.state !== "connected") return false;
    const last = this.typedAt.get(name);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    this.typedAt.set(name, now);
    return this.link.send({ type: "typing", room: name });
  }

  /**
   * Marks a room read up to `seq` (a message's seq): raises the marker at once (`lastRead`
   * event) and sends it to the server when connected, or at the next connect. The server keeps
   * the highest and tells this user's other tabs, so their unread counts clear too.
   */
  markRead(room: string, seq: number): void {
    const name = this.roomName(room);
    if (!this.rooms_.get(name)) throw new HubbubError("not_in_room", `not in room ${name}`);
    this.reads.raise(name, seq);
    if (this.link.state.state === "connected") this.reads.flush();
  }

  /** Joins a room (now, or at the next connect) and resolves with its user list once synced. */
  async join(room: string, opts: { history?: boolean } = {}): Promise<Member[]> {
    const name = this.roomName(room);
    const { room: r, added } = this.rooms_.add(name, opts.history);
    if (added && this.link.state.state === "connected") this.resync.join(r);
    await r.joined.promise;
    return this.users(name);
  }

  /** Leaves a room (default: the first). Resolves once the server confirmed, or at once when offline; rejects not_in_room for a room the client is not in. */
  async leave(room?: string): Promise<void> {
    const name = room === undefined ? this.rooms_.first : this.roomName(room);
    const r = name ? this.rooms_.leave(name) : undefined;
    if (!r) throw new HubbubError("not_in_room", name ? `you are not in #${name}` : "you are not in any room");
    this.typists.clear(r.name);
    this.reads.reset(r.name);
    // A room still syncing is left when its sync ends (syncRoom); one not on the server yet needs nothing.
    if (r.syncing || !this.link.open || this.link.state.state === "connecting") return;
    await this.request({ type: "leave", room: r.name }).catch(() => {});
  }

  /**
   * One page of a room's kept messages (the client must be in the room), ascending: the newest
   * `limit` (default 50, at most 200), or those `before` a seq (scrollback), or `after` one.
   * Does not touch the message stream.
   */
  async history(room: string, opts: { before?: number; after?: number; limit?: number } = {}): Promise<HistoryPage> {
    const name = this.roomName(room);
    if (opts.before !== undefined && opts.after !== undefined) throw new HubbubError(ClientErrorCode.BadCall, "give `before` or `after`, not both");
    const limit = opts.limit === undefined ? undefined : Math.min(MAX_HISTORY_LIMIT, opts.limit);
    const f = await this.whenConnected(() => this.requestOf({ type: "history", room: name, before: opts.before, after: opts.after, limit }, "history"));
    return { room: f.room, messages: f.messages, more: f.more === true, epoch: f.epoch };
  }

  // ---- stored messages: scrollback, edits, deletes, reactions ---------------------------------

  /**
   * The messages of a room this client holds (live, replayed and loaded with loadOlder), in seq
   * order and in their current state: edits, deletes and reactions are applied as they arrive.
   */
  messages(room: string): readonly MessageFrame[] {
    return this.rooms_.get(normalizeRoom(room) ?? room)?.list.messages ?? [];
  }

  /**
   * Loads the page of messages before the oldest one held (scrollback) into the room's list;
   * resolves with them (empty once there are no older ones) and whether still older ones exist.
   */
  async loadOlder(room: string, limit?: number): Promise<{ messages: MessageFrame[]; more: boolean }> {
    const name = this.roomName(room);
    const r = this.rooms_.get(name);
    if (!r) throw new HubbubError("not_in_room", `you are not in room ${name}`);
    if (!r.list.olderKept) return { messages: [], more: false };
    const page = await this.history(name, { before: r.list.oldestSeq, limit });
    const messages = page.messages.filter((m): m is MessageFrame => m.type === "message");
    if (this.rooms_.holds(r)) {
      r.list.insert(messages);
      r.list.olderKept = page.more;
    }
    return { messages, more: page.more };
  }

  /** Changes the text of one of your messages; resolves once the room has the `edited` event. Rejects with not_found / forbidden. */
  async edit(room: string, id: string, text: string): Promise<void> {
    const name = this.roomName(room);
    await this.whenConnected(() => this.requestOf({ type: "edit", room: name, id, text }, "ok"));
  }

  /** Deletes one of your messages (its text is erased on the server). Rejects with not_found / forbidden. */
  async delete(room: string, id: string): Promise<void> {
    const name = this.roomName(room);
    await this.whenConnected(() => this.requestOf({ type: "delete", room: name, id }, "ok"));
  }

  /** Adds (`on`, the default) or takes back your `emoji` reaction on a message. Rejects with not_found. */
  async react(room: string, id: string, emoji: string, on = true): Promise<void> {
    const name = this.roomName(room);
    if (!isEmoji(emoji)) throw new HubbubError(ClientErrorCode.BadCall, "a reaction is one emoji");
    await this.whenConnected(() => this.requestOf({ type: "react", room: name, id, emoji, on }, "ok"));
  }

  /** Changes this user's name in every tab (`nick`); kept for reconnects. Rejects with name_taken / invalid_name. */
  async setName(name: string): Promise<string> {
    const wanted = normalizeName(name);
    if (wanted === null) throw new HubbubError("invalid_name", NAME_RULE);
    if (!this.started) {
      this.identity.rename(wanted);
      return wanted;
    }
    const f = await this.whenConnected(() => this.requestOf({ type: "nick", name: wanted }, "identity"));
    return f.name;
  }

  /**
   * One page of a room's members from the server (`who`), ordered by id: the first, or those
   * after the cursor `after` (a page's `next`); `limit` at most 1000. The live list is `users(room)`.
   */
  async who(room?: string, opts: { after?: string; limit?: number } = {}): Promise<MemberPage> {
    const name = room === undefined ? this.rooms_.first : this.roomName(room);
    if (name === undefined) throw new HubbubError("not_in_room", "you are not in any room");
    const f = await this.whenConnected(() => this.requestOf({ type: "who", room: name, after: opts.after, limit: opts.limit }, "users"));
    const page: MemberPage = { room: f.room, users: f.users, count: f.count };
    if (f.next !== undefined) page.next = f.next;
    return page;
  }

  /** The server's `/help` text. */
  async help(): Promise<string> {
    return (await this.whenConnected(() => this.requestOf({ type: "chat", text: "/help" }, "notice"))).text;
  }

  /** Round-trip time of an app-level ping, ms. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.whenConnected(() => this.requestOf({ type: "ping" }, "pong"));
    return Date.now() - started;
  }

  /**
   * Runs one line of chat input the way a chat box would: plain text and `/me`, `/shrug` are
   * sent (see send()), `/join`, `/leave`, `/nick`, `/msg`, `/who`, `/help` go through the
   * typed methods, and anything else is passed to the server, whose error rejects.
   */
  async command(line: string, room?: string): Promise<void> {
    await runCommand(this, line, room, () => this.whenConnected(() => this.request(room === undefined ? { type: "chat", text: line } : { type: "chat", text: line, room })));
  }
}
