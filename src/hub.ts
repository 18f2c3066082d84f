// Hub: the one owner of membership on this node. It keeps the two-way index (room → sessions
// here, session → rooms on each Session), names, and the set of live sessions, and it is the
// only code that changes them. Fan-out is Bun's topic publish via the Engine, so no JS loop
// runs over a room's members on the message path; the only loop over sessions is the
// periodic sweep that evicts slow and silent peers.
import { andThen, type Awaitable } from "./awaitable.ts";
import { CloseCode, ErrorCode } from "./shared/codes.ts";
import type { Config } from "./config.ts";
import type { Engine, EngineSink } from "./engine/engine.ts";
import type { Logger } from "./log.ts";
import { guestName, isReservedKey, nameKey, normalizeName, normalizeRoom, DEFAULT_ROOM } from "./names.ts";
import { PresenceCoalescer } from "./presence.ts";
import type { DirectMessageFrame, MessageKind } from "./shared/protocol.ts";
import { MAX_ROOMS_PER_CONNECTION, PROTOCOL_VERSION, codePointLength, encode } from "./shared/protocol.ts";
import type { Ref, Session } from "./session.ts";
import { roomTopic } from "./topics.ts";

/**
 * After a publish reports backpressure, how soon (at most) the room's sessions are checked
 * against SLOW_CONSUMER_BYTES. Bounds the cost under sustained backpressure to one pass over
 * the room per interval, while catching a firehose well within Bun's 4 MiB backstop headroom.
 */
export const SUSPECT_CHECK_MS = 10;
/** Attempts at a free `guest-xxxx` name before widening to more hex digits. */
const GUEST_ATTEMPTS = 8;
/** Bun's publish to a room's topic on this node; returns Bun's aggregate status (0 = someone dropped it). */
export type LocalPublish = (room: string, data: string) => number;


export class Hub implements EngineSink {
  /**
   * Open sessions not admitted: still in their handshake, or refused and closing. Admitted
   * ones live in `users` only, so each connection costs one hash-table entry here, not two.
   */
  private readonly pending = new Set<Session>();
  /**
   * room → this node's sessions in it (the other direction lives on Session.rooms). Each
   * Session.rooms entry is the `name` string kept here, one string per room, not per member.
   */
  private readonly rooms = new Map<string, LocalRoom>();
  /**
   * user id → this node's admitted sessions of that user (an array only while a user has
   * several tabs here). This is how direct messages reach a user: a Bun topic per user would
   * cost every connection ~450 bytes of native memory (a topic of its own in Bun's topic
   * tree), about a tenth of the per-connection budget, for a rarely used feature.
   */
  private readonly users = new Map<string, Session | Session[]>();
  /** Sessions in `users`. */
  private admitted = 0;
  /**
   * How many of this node's connections of one user are in a room (key: room + "\n" + user id).
   * With tokens, several connections (tabs) share one user id and are one member: the engine
   * hears the first join and the last leave only. Anonymous connections each have their own id,
   * so every count would be 1: none is stored for them (see soleConnection), which saves every
   * anonymous connection a key string and an entry per room, ~200 bytes of its memory budget;
   * a missing count reads as 1 when it is dropped.
   */
  private readonly roomRefs = new Map<string, number>();
  /** How many of this node's connections hold each claimed name key (same reasoning). */
  private readonly nameRefs = new Map<string, number>();
  private readonly presenceOut: PresenceCoalescer;
  private localPublish: LocalPublish = () => 0;
  /** Rooms (null: all sessions) whose subscribers showed backpressure since the last check. */
  private suspects = new Set<string | null>();
  private suspectTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSuspectCheck = 0;
  private messageCounter = 0;

  constructor(
    readonly engine: Engine,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.presenceOut = new PresenceCoalescer(config.presenceIntervalMs, (room, joins, leaves) =>
      this.publishRoom(room, encode({ type: "presence", room, joins, leaves })),
    );
  }

  /** Wires Bun's server.publish in once the server exists. */
  bind(publish: LocalPublish): void {
    this.localPublish = publish;
  }

  // ---- EngineSink ----------------------------------------------------------------------------

  publishRoom(room: string, data: string): void {
    // Bun's status is the worst over all subscribers: -1 when some subscriber's frame was
    // queued, 0 when some subscriber was past Bun's limit and lost it. Either way, check that
    // topic's sessions soon (not here: this is the message path) so a slow reader is evicted
    // with our code long before Bun's backstop cuts it without one. The periodic sweep alone
    // can be outrun by a firehose on a busy event loop.
    if (this.localPublish(room, data) <= 0) this.suspect(room);
  }

  /** Direct delivery to every session of a user here; sendEncoded applies the slow-consumer check. */
  sendToUser(userId: string, data: string): void {
    const u = this.users.get(userId);
    if (Array.isArray(u)) for (const s of u) s.sendEncoded(data);
    else u?.sendEncoded(data);
  }

  private indexUser(s: Session): void {
    this.admitted++;
    const u = this.users.get(s.userId);
    if (u === undefined) this.users.set(s.userId, s);
    else if (Array.isArray(u)) u.push(s);
    else this.users.set(s.userId, [u, s]);
  }

  private unindexUser(s: Session): void {
    const u = this.users.get(s.userId);
    if (u === s) this.users.delete(s.userId);
    else if (Array.isArray(u) && u.includes(s)) {
      // A new array, never a mutation: all() may be iterating the old one.
      const rest = u.filter((x) => x !== s);
      this.users.set(s.userId, rest.length === 1 ? rest[0]! : rest);
    } else return;
    this.admitted--;
  }

  /** Marks a room (null: every session) for a slow-consumer check, at most every SUSPECT_CHECK_MS. */
  private suspect(room: string | null): void {
    this.suspects.add(room);
    if (this.suspectTimer) return;
    const waitMs = Math.max(0, this.lastSuspectCheck + SUSPECT_CHECK_MS - Date.now());
    this.suspectTimer = setTimeout(() => this.checkSuspects(), waitMs);
  }

  private checkSuspects(): void {
    this.suspectTimer = null;
    this.lastSuspectCheck = Date.now();
    const rooms = this.suspects;
    this.suspects = new Set();
    if (rooms.has(null)) return this.sweep(this.lastSuspectCheck, true);
    for (const room of rooms) for (const s of this.rooms.get(room as string)?.sessions ?? []) this.evictIfSlow(s);
  }

  private evictIfSlow(s: Session): boolean {
    if (s.closing || s.bufferedAmount() <= this.config.slowConsumerBytes) return false;
    s.evict(CloseCode.SlowConsumer);
    return true;
  }

  presence(room: string, joins: { id: string; name: string }[], leaves: { id: string; name: string }[]): void {
    if (this.rooms.has(room)) this.presenceOut.add(room, joins, leaves);
  }

  // ---- connection lifecycle ------------------------------------------------------------------

  get size(): number {
    return this.pending.size + this.admitted;
  }

  /** Registers a freshly opened connection (before admit), so sweeps and shutdown see it. */
  connect(s: Session): void {
    this.pending.add(s);
  }

  /**
   * Validates the handshake, claims the name, sends `welcome` and joins the initial room.
   * Refusals send an `error` frame and close (4400 bad parameter, 4409 name taken).
   * Synchronous with an engine that answers synchronously (awaitable.ts). When the engine fails
   * midway (a cluster node losing Redis), the client is told `unavailable` and closed with 1013
   * rather than left waiting for a user list that will not come.
   */
  admit(s: Session): Awaitable<void> {
    const failed = (err: unknown): never => {
      s.reject(ErrorCode.Unavailable, "the server cannot admit you right now; try again shortly");
      s.close(CloseCode.TryAgainLater);
      throw err;
    };
    try {
      const admitted = this.tryAdmit(s);
      return admitted instanceof Promise ? admitted.catch(failed) : admitted;
    } catch (err) {
      return failed(err);
    }
  }

  private tryAdmit(s: Session): Awaitable<void> {
    const hs = s.handshake;
    if (!hs) return;
    if (hs.auth && !hs.auth.ok) return this.refuse(s, ErrorCode.Unauthorized, "a valid token is required", CloseCode.Unauthorized);
    if (hs.auth) s.userId = hs.auth.identity.userId;
    // With a token the name is the token's; the `name` parameter is ignored.
    const requested = hs.auth ? hs.auth.identity.name : hs.name;
    const name = requested === null ? null : normalizeName(requested);
    if (requested !== null && name === null) return this.refuse(s, ErrorCode.InvalidName, "names are 1-32 letters, digits, _ - or .", CloseCode.BadHandshake);
    const key = name === null ? "" : nameKey(name);
    if (name !== null && isReservedKey(key)) return this.refuse(s, ErrorCode.InvalidName, `the name ${name} is reserved`, CloseCode.BadHandshake);
    const room = hs.room === null ? DEFAULT_ROOM : normalizeRoom(hs.room);
    if (room === null) return this.refuse(s, ErrorCode.InvalidRoom, "rooms match ^[a-z0-9][a-z0-9_-]{0,31}$", CloseCode.BadHandshake);
    const since = hs.since === null ? undefined : parseSeq(hs.since);
    if (since === null) return this.refuse(s, ErrorCode.InvalidMessage, "since must be a non-negative integer", CloseCode.BadHandshake);

    return andThen(name === null ? this.claimGuest(s) : this.claim(s, name, key), (claimed) => {
      if (!claimed) return this.refuse(s, ErrorCode.NameTaken, `the name ${name} is taken`, CloseCode.NameTaken);
      s.handshake = null;
      this.pending.delete(s);
      this.indexUser(s);
      const { config: c } = this;
      s.send({
        type: "welcome", protocol: PROTOCOL_VERSION, id: s.userId, name: s.name,
        limits: { maxTextLength: c.maxTextLength, maxPayloadBytes: c.maxPayloadBytes, ratePerSecond: c.rateLimit, historySize: c.historySize },
      });
      return this.join(s, room, since);
    });
  }

  private refuse(s: Session, code: ErrorCode, message: string, close: CloseCode): void {
    s.handshake = null;
    s.send({ type: "error", code, message });
    s.close(close);
  }

  /**
   * Claims `name` for the session's user. The engine's claim is atomic, so of two sessions
   * asking for the same key in the same tick exactly one wins. A session renaming within its
   * own key (alice → Alice) keeps its one reference.
   */
  private claim(s: Session, name: string, computedKey = nameKey(name)): Awaitable<boolean> {
    // The key is usually the name itself: then one string serves both (the engine keeps it).
    const key = computedKey === name ? name : computedKey;
    const member = { id: s.userId, name };
    if (key === s.nameKey) {
      s.claimed(name, key, member);
      return true;
    }
    return andThen(this.engine.claimName(key, member), (ok) => {
      if (!ok) return false;
      if (!soleConnection(s)) this.nameRefs.set(key, (this.nameRefs.get(key) ?? 0) + 1);
      s.claimed(name, key, member);
      return true;
    });
  }

  /** Drops the session's reference to `key`; the engine releases it with the user's last one. */
  private async release(s: Session, key: string): Promise<void> {
    if (!key) return;
    const n = (this.nameRefs.get(key) ?? 1) - 1;
    if (n > 0) return void this.nameRefs.set(key, n);
    this.nameRefs.delete(key);
    await this.engine.releaseName(key, s.userId);
  }

  /** Counts the session into `room`; true when it is the user's first connection there. */
  private addRoomRef(room: string, s: Session): boolean {
    if (soleConnection(s)) return true;
    const k = `${room}\n${s.userId}`;
    const n = this.roomRefs.get(k) ?? 0;
    this.roomRefs.set(k, n + 1);
    return n === 0;
  }

  /** Counts the session out of `room`; true when it was the user's last connection there. */
  private dropRoomRef(room: string, s: Session): boolean {
    const k = `${room}\n${s.userId}`;
    const n = (this.roomRefs.get(k) ?? 1) - 1;
    if (n > 0) {
      this.roomRefs.set(k, n);
      return false;
    }
    this.roomRefs.delete(k);
    return true;
  }

  /** A free `guest-xxxx` name; the attempts after the first GUEST_ATTEMPTS use more digits. */
  private claimGuest(s: Session, attempt = 0): Awaitable<boolean> {
    if (attempt >= GUEST_ATTEMPTS * 3) return false;
    return andThen(this.claim(s, guestName(4 + Math.floor(attempt / GUEST_ATTEMPTS) * 2)), (ok) => ok || this.claimGuest(s, attempt + 1));
  }

  /**
   * Removes a closed session everywhere: rooms (announced as presence leaves) and its name.
   * The close handler queues this behind the session's other tasks, so it runs after admit().
   */
  async disconnect(s: Session): Promise<void> {
    if (!this.pending.delete(s)) this.unindexUser(s);
    const member = s.member;
    const rooms = s.rooms.splice(0);
    for (const room of rooms) this.unindex(room, s);
    const gone = rooms.filter((room) => this.dropRoomRef(room, s));
    // allSettled: one failed leave (an engine outage) must not keep the name from being released.
    const failed = (await Promise.allSettled(gone.map((room) => this.engine.leave(room, member)))).filter((r) => r.status === "rejected");
    await this.release(s, s.nameKey);
    if (failed.length) throw (failed[0] as PromiseRejectedResult).reason;
  }

  // ---- rooms ---------------------------------------------------------------------------------

  /** Joins `room` and sends its user list (and history after `since`). Synchronous with a synchronous engine. */
  join(s: Session, rawRoom: string, since?: number, ref?: Ref): Awaitable<void> {
    const room = normalizeRoom(rawRoom);
    if (room === null) return s.fail(ErrorCode.InvalidRoom, "rooms match ^[a-z0-9][a-z0-9_-]{0,31}$", ref);
    let joined: Awaitable<void> = undefined;
    if (!s.rooms.includes(room)) {
      if (s.rooms.length >= MAX_ROOMS_PER_CONNECTION) return s.fail(ErrorCode.TooManyRooms, `at most ${MAX_ROOMS_PER_CONNECTION} rooms per connection`, ref);
      // Subscribe before reading the snapshot and history, so no message falls between them;
      // a message in both is told apart by its seq.
      s.rooms.push(this.index(room, s));
      s.socket?.subscribe(roomTopic(room));
      if (this.addRoomRef(room, s)) joined = this.engine.join(room, s.member);
    }
    return andThen(joined, () =>
      andThen(this.engine.snapshot(room), (snap) => {
        s.send({ type: "users", room, seq: snap.seq, users: snap.users });
        if (since === undefined) return;
        return andThen(this.engine.history(room, since), (messages) => s.send({ type: "history", room, messages }));
      }),
    );
  }

  async leave(s: Session, rawRoom: string | undefined, ref?: Ref): Promise<void> {
    const room = this.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    s.rooms.splice(s.rooms.indexOf(room), 1);
    this.unindex(room, s);
    s.socket?.unsubscribe(roomTopic(room));
    if (this.dropRoomRef(room, s)) await this.engine.leave(room, s.member);
    s.send({ type: "left", room });
  }

  /** Sends the room's user list (`/who`). */
  async who(s: Session, rawRoom: string | undefined, ref?: Ref): Promise<void> {
    const room = this.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    const snap = await this.engine.snapshot(room);
    s.send({ type: "users", room, seq: snap.seq, users: snap.users });
  }

  async history(s: Session, rawRoom: string, since?: number, limit?: number): Promise<void> {
    const room = this.memberRoom(s, rawRoom);
    if (room === null) return;
    s.send({ type: "history", room, messages: await this.engine.history(room, since, limit) });
  }

  /**
   * The room a request names, if the session is in it. `undefined` means the session's first
   * room. Sends `invalid_room` / `not_in_room` and returns null otherwise.
   */
  private memberRoom(s: Session, rawRoom: string | undefined, ref?: Ref): string | null {
    const room = rawRoom === undefined ? (s.rooms[0] ?? null) : normalizeRoom(rawRoom);
    if (rawRoom !== undefined && room === null) {
      s.fail(ErrorCode.InvalidRoom, "rooms match ^[a-z0-9][a-z0-9_-]{0,31}$", ref);
      return null;
    }
    if (room === null || !s.rooms.includes(room)) {
      s.fail(ErrorCode.NotInRoom, room === null ? "you are not in any room" : `you are not in room ${room}`, ref);
      return null;
    }
    return room;
  }

  /** Adds the session to the room's local members; returns the room's name as kept here. */
  private index(room: string, s: Session): string {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = { name: room, sessions: new Set() }));
    r.sessions.add(s);
    return r.name;
  }

  private unindex(room: string, s: Session): void {
    const r = this.rooms.get(room);
    if (!r) return;
    r.sessions.delete(s);
    if (r.sessions.size === 0) this.rooms.delete(room);
  }

  /** Rooms with at least one member on this node (metrics). */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Local members of a room (for tests and metrics). */
  localMembers(room: string): number {
    return this.rooms.get(room)?.sessions.size ?? 0;
  }

  // ---- names ---------------------------------------------------------------------------------

  async rename(s: Session, raw: string, ref?: Ref): Promise<void> {
    if (this.config.authSecret) return s.fail(ErrorCode.Unauthorized, "your name comes from your token", ref);
    const name = normalizeName(raw);
    if (name === null) return s.fail(ErrorCode.InvalidName, "names are 1-32 letters, digits, _ - or .", ref);
    const key = nameKey(name);
    if (isReservedKey(key)) return s.fail(ErrorCode.InvalidName, `the name ${name} is reserved`, ref);
    if (name === s.name) return s.send({ type: "notice", text: `you are already ${name}` });
    const old = s.member;
    const oldKey = s.nameKey;
    if (!(await this.claim(s, name, key))) return s.fail(ErrorCode.NameTaken, `the name ${name} is taken`, ref);
    if (oldKey !== s.nameKey) await this.release(s, oldKey);
    // A rename is a leave of the old name and a join of the new one, with the same id.
    for (const room of s.rooms) {
      await this.engine.leave(room, old);
      await this.engine.join(room, s.member);
    }
    s.send({ type: "notice", text: `you are now known as ${name}` });
  }

  // ---- messages ------------------------------------------------------------------------------

  /**
   * Publishes a chat message to a room the session is in; acks it when it carried a ref.
   * Synchronous with a synchronous engine: no promise per message.
   */
  say(s: Session, rawRoom: string | undefined, kind: MessageKind, text: string, ref: Ref): Awaitable<void> {
    if (!this.checkText(s, text, ref)) return;
    const room = this.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    return andThen(this.engine.publish(room, { id: this.nextMessageId(), ts: Date.now(), from: s.member, kind, text }), (msg) => {
      if (ref !== undefined) s.send({ type: "ack", ref, room, seq: msg.seq, id: msg.id });
    });
  }

  /** Sends a direct message to the user named `to`, on any node, and echoes it to the sender. */
  async direct(s: Session, to: string, text: string, ref: Ref): Promise<void> {
    if (!this.checkText(s, text, ref)) return;
    const name = normalizeName(to);
    const target = name === null ? null : await this.engine.lookupName(nameKey(name));
    if (target === null) return s.fail(ErrorCode.NoSuchUser, `no user is called ${to.slice(0, 64)}`, ref);
    const frame: DirectMessageFrame = { type: "direct", id: this.nextMessageId(), ts: Date.now(), from: s.member, to: target, text };
    await this.engine.sendDirect(target.id, frame);
    // Delivery to the recipient already reaches the sender when they are the same user.
    if (target.id !== s.userId) s.send(ref === undefined ? frame : { ...frame, ref });
  }

  private checkText(s: Session, text: string, ref: Ref): boolean {
    if (text.trim().length === 0) {
      s.fail(ErrorCode.InvalidMessage, "text must not be empty", ref);
      return false;
    }
    if (text.length > this.config.maxTextLength && codePointLength(text) > this.config.maxTextLength) {
      s.fail(ErrorCode.TextTooLong, `text is over ${this.config.maxTextLength} characters`, ref);
      return false;
    }
    return true;
  }

  private nextMessageId(): string {
    return `${this.engine.nodeId}-${(this.messageCounter++).toString(36)}`;
  }

  // ---- housekeeping --------------------------------------------------------------------------

  /**
   * The periodic check of every session: evicts one whose unsent buffer passed
   * SLOW_CONSUMER_BYTES (4008) and drops one silent past IDLE_TIMEOUT_S, pinging it at half
   * that. Bun's getBufferedAmount() lags a burst of publishes, which is why this runs on a
   * timer as well as after sends. `slowOnly` skips the idle part (used by the backpressure check).
   */
  sweep(now: number, slowOnly = false): void {
    const idleMs = this.config.idleTimeoutS * 1000;
    for (const s of this.all()) {
      if (s.closing || this.evictIfSlow(s) || slowOnly) continue;
      const silentMs = now - s.lastSeenMs;
      if (silentMs > idleMs) s.evict(CloseCode.Idle);
      else if (silentMs > idleMs / 2) s.pingOnce();
    }
  }

  /** Sends every pending presence diff now. */
  flushPresence(): void {
    this.presenceOut.flushNow();
  }

  /** Every open, not yet disconnected session: the sweep's and shutdown's walk. */
  *all(): Iterable<Session> {
    yield* this.pending;
    for (const u of this.users.values()) {
      if (Array.isArray(u)) yield* u;
      else yield u;
    }
  }

  stop(): void {
    this.presenceOut.stop();
    if (this.suspectTimer) clearTimeout(this.suspectTimer);
  }
}

interface LocalRoom {
  readonly name: string;
  readonly sessions: Set<Session>;
}

/** True when the session's user id is its own connection id (anonymous): no other connection shares it. */
function soleConnection(s: Session): boolean {
  return s.userId === s.id;
}

/** A `since` from the URL: a non-negative safe integer, or null. */
function parseSeq(raw: string): number | null {
  if (!/^\d{1,16}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}
