// HubbubClient: one connection to a Hubbub server that survives restarts, evictions and dead
// links. It owns the socket's lifecycle (connect, resync, reconnect with backoff) and routes
// frames to the pieces that keep state: RoomState (user lists, exactly-once message stream),
// Outbox (sends and their acks), Requests (replies tied to requests by a ping barrier) and
// Heartbeat (dead-link detection). Works wherever a global WebSocket exists: browsers, Bun,
// Node 22+.
import { CloseCode } from "../shared/codes.ts";
import { DEFAULT_ROOM, nameKey, normalizeName, normalizeRoom } from "../names.ts";
import type { ClientFrame, Limits, Member, MessageFrame, ServerFrame } from "../shared/protocol.ts";
import { parseServerFrame } from "../shared/protocol.ts";
import { TokenBucket } from "../shared/rate-limit.ts";
import { DEFAULT_BACKOFF, reconnectDelay, type BackoffOptions } from "../shared/backoff.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { Emitter, type Listener } from "./emitter.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import type { ClientEvents, ConnectionState, Frame } from "./events.ts";
import { Heartbeat } from "./heartbeat.ts";
import { expectedMessage, parseCommand } from "./lines.ts";
import { Outbox, type AckFrame } from "./outbox.ts";
import { Requests } from "./requests.ts";
import { RoomState } from "./room.ts";
import { finishSync, syncRoom, type SyncHost } from "./sync.ts";

export interface HubbubClientOptions {
  /** The server's WebSocket endpoint, e.g. `wss://chat.example.com/ws`. */
  url: string | URL;
  /** The name to ask for. Absent: the server assigns a `guest-` name, which is then kept across reconnects. */
  name?: string;
  /**
   * A token for a server with AUTH_SECRET set (sent as `?token=`; the server takes the name
   * from it). A refusal (4401) is final: create a new client with a fresh token.
   */
  token?: string;
  /** Rooms to join at connect; the first is the handshake room. Default `["lobby"]`. */
  rooms?: string[];
  /** Replay a room's kept history when first joining it (join() can override). Default false. */
  history?: boolean;
  /** Reconnect backoff (full jitter). Default 500 ms doubling up to 30 s. */
  reconnect?: Partial<BackoffOptions>;
  /** Send an app-level ping after this long without any inbound frame, ms. Default 20000. */
  pingIntervalMs?: number;
  /** Declare the link dead when nothing arrives this long after that ping, ms. Default 10000. */
  pongTimeoutMs?: number;
  /** Abandon a connection attempt not welcomed within this long, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** The WebSocket constructor. Default: the global one. */
  WebSocket?: typeof WebSocket;
}

type Resolved = Required<Omit<HubbubClientOptions, "name" | "rooms" | "reconnect" | "token">> & { reconnect: BackoffOptions; token?: string };

/** Stays under the server's token bucket (RATE_LIMIT per second, burst twice that). */
const PACE_BURST_FACTOR = 1;
/**
 * Reconnects refused with 4409 (name taken) before falling back to a guest name. After a dead
 * link the server keeps the old connection, and its name, until IDLE_TIMEOUT_S passes; with
 * the default backoff this many attempts outlast that.
 */
const NAME_TAKEN_RETRIES = 8;
type Timer = ReturnType<typeof setTimeout>;
/** WebSocket readyState values (not read off the global, which a custom constructor may lack). */
const OPEN = 1;
const CLOSED = 3;

const closedError = () => new HubbubError(ClientErrorCode.Closed, "the client was closed");

export class HubbubClient {
  private readonly opts: Resolved;
  private readonly events = new Emitter<ClientEvents>();
  private readonly rooms_ = new Map<string, RoomState>();
  private readonly outbox = new Outbox();
  private readonly requests = new Requests();
  private ws: WebSocket | null = null;
  private connId: string | null = null;
  private name_: string | null;
  private limits_: Limits | null = null;
  private state_: ConnectionState = { state: "offline" };
  /** Resolves at the next "connected"; replaced after each disconnect. */
  private ready: Deferred<void> = deferred();
  /** No socket should be open: before connect(), after close() or a final refusal. */
  private stopped = true;
  /** close() was called or the server refused for good; waiting callers fail. */
  private finished = false;
  private nameTakenStrikes = 0;
  private everConnected = false;
  private attempt = 0;
  /** The floor the server asked for in its last `shutdown` frame, used once. */
  private retryAfterMs = 0;
  /** Rooms whose history had a gap during the current resync. */
  private gapRooms = new Set<string>();
  private heartbeat: Heartbeat | null = null;
  private pacer: TokenBucket | null = null;
  private timers = { connect: null as Timer | null, reconnect: null as Timer | null, flush: null as Timer | null };
  private pingCounter = 0;
  private closing: Promise<void> | null = null;

  constructor(options: HubbubClientOptions) {
    this.opts = {
      url: options.url,
      history: options.history ?? false,
      reconnect: { ...DEFAULT_BACKOFF, ...options.reconnect },
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      token: options.token,
    };
    this.name_ = options.name ?? null;
    for (const raw of options.rooms ?? [DEFAULT_ROOM]) {
      const room = normalizeRoom(raw);
      if (room === null) throw new HubbubError("invalid_room", `invalid room name ${JSON.stringify(raw)}`);
      this.rooms_.set(room, new RoomState(room, this.opts.history));
    }
  }

  // ---- events and state ------------------------------------------------------------------

  on<K extends keyof ClientEvents>(type: K, fn: Listener<ClientEvents[K]>): () => void {
    return this.events.on(type, fn);
  }

  off<K extends keyof ClientEvents>(type: K, fn: Listener<ClientEvents[K]>): void {
    this.events.off(type, fn);
  }

  get state(): ConnectionState {
    return this.state_;
  }
  /** This connection's id (changes on every reconnect); null before the first welcome. */
  get id(): string | null {
    return this.connId;
  }
  get name(): string | null {
    return this.name_;
  }
  get limits(): Limits | null {
    return this.limits_;
  }
  /** Rooms this client is in, or will rejoin; the first is the default for send(). */
  get rooms(): string[] {
    return [...this.rooms_.keys()];
  }
  /** The live user list of a room, in join order. */
  users(room: string): Member[] {
    return [...(this.rooms_.get(room)?.users.values() ?? [])];
  }
  /** Messages accepted by send()/direct() and not settled yet. */
  get pending(): number {
    return this.outbox.size;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Starts connecting (if not already) and resolves once connected and every room is synced. */
  connect(): Promise<void> {
    if (this.stopped) {
      this.stopped = false;
      this.finished = false;
      this.closing = null;
      this.open();
    }
    return this.ready.promise;
  }

  /** Closes for good: no reconnect, everything pending fails with `closed`. Resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stopped = true;
    this.finished = true;
    const ws = this.ws;
    const err = closedError();
    this.teardown(err);
    this.fail(err);
    this.setState({ state: "offline" });
    this.closing = ws && ws.readyState !== CLOSED
      ? new Promise<void>((resolve) => {
          ws.addEventListener("close", () => resolve(), { once: true });
          ws.close(CloseCode.Normal);
        })
      : Promise.resolve();
    return this.closing;
  }

  /** While waiting to reconnect, tries now instead (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.state_.state !== "reconnecting") return;
    if (this.timers.reconnect) clearTimeout(this.timers.reconnect);
    this.timers.reconnect = null;
    this.open();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Sends a chat message (plain text, `/me <action>` or `/shrug [text]`) to `room` (default:
   * the first room) and resolves with its ack. While disconnected it is queued and sent once
   * after the reconnect; it is never published twice.
   */
  send(text: string, room?: string): Promise<AckFrame> {
    if (this.finished) return Promise.reject(closedError());
    const expect = expectedMessage(text);
    if (!expect) return Promise.reject(new HubbubError(ClientErrorCode.BadCall, "send() takes text, /me or /shrug; use command() for other commands"));
    const target = room === undefined ? this.rooms[0] : normalizeRoom(room);
    if (!target) return Promise.reject(new HubbubError(room === undefined ? "not_in_room" : "invalid_room", `cannot send to ${room ?? "no room"}`));
    const done = this.outbox.chat(text, target, expect);
    this.flush();
    return done;
  }

  /** Sends a direct message to the user called `to`; resolves with the echoed frame. */
  direct(to: string, text: string): Promise<Frame<"direct">> {
    if (this.finished) return Promise.reject(closedError());
    const toSelf = this.name_ !== null && nameKey(to.normalize("NFC").trim()) === nameKey(this.name_);
    const done = this.outbox.direct(to, text, toSelf);
    this.flush();
    return done;
  }

  /** Joins a room (now, or at the next connect) and resolves with its user list once synced. */
  async join(room: string, opts: { history?: boolean } = {}): Promise<Member[]> {
    const name = normalizeRoom(room);
    if (name === null) throw new HubbubError("invalid_room", `invalid room name ${JSON.stringify(room)}`);
    let r = this.rooms_.get(name);
    if (!r) {
      r = new RoomState(name, opts.history ?? this.opts.history);
      this.rooms_.set(name, r);
      this.events.emit("rooms", this.rooms);
      if (this.state_.state === "connected") this.syncRoom(r).catch((err) => this.roomFailed(r!, err));
    }
    await r.joined.promise;
    return this.users(name);
  }

  /** Leaves a room (default: the first). Resolves once the server confirmed, or at once when offline. */
  async leave(room?: string): Promise<void> {
    const name = room === undefined ? this.rooms[0] : normalizeRoom(room);
    const r = name ? this.rooms_.get(name) : undefined;
    if (!r) return;
    this.dropRoom(r, new HubbubError("not_in_room", `left ${r.name}`));
    // A room still syncing is left when its sync ends (finishSync); one not on the server yet needs nothing.
    if (r.syncing || this.connId === null || this.ws?.readyState !== OPEN) return;
    await this.request((ref) => [{ type: "leave", room: r.name }, { type: "ping", ref }], (f) => f.type === "left" && f.room === r.name).catch(() => {});
  }

  /** A room's kept messages with seq > since (all when absent), at most `limit`. Does not touch the message stream. */
  async history(room: string, opts: { since?: number; limit?: number } = {}): Promise<MessageFrame[]> {
    const frames = await this.whenConnected(() =>
      this.request((ref) => [{ type: "history", room, ...opts }, { type: "ping", ref }], (f) => f.type === "history" && f.room === room),
    );
    return (frames.find((f) => f.type === "history") as Frame<"history"> | undefined)?.messages ?? [];
  }

  /** Changes this client's name (`/nick`); kept for reconnects. Rejects with name_taken / invalid_name. */
  async setName(name: string): Promise<string> {
    const wanted = normalizeName(name);
    if (wanted === null) throw new HubbubError("invalid_name", "names are 1-32 letters, digits, _ - or .");
    if (this.stopped) {
      this.rename(wanted);
      return wanted;
    }
    await this.whenConnected(() => this.command1(`/nick ${wanted}`));
    this.rename(wanted);
    return wanted;
  }

  /** The server's user list of a room (`/who`). The live list is always in users(room). */
  async who(room?: string): Promise<Member[]> {
    const target = room ?? this.rooms[0];
    const frames = await this.whenConnected(() => this.command1(`/who ${target ?? ""}`.trim(), (f) => f.type === "users" && f.room === target));
    return (frames.find((f) => f.type === "users") as Frame<"users"> | undefined)?.users ?? [];
  }

  /** The server's `/help` text. */
  async help(): Promise<string> {
    const frames = await this.whenConnected(() => this.command1("/help", (f) => f.type === "notice"));
    return frames.map((f) => (f.type === "notice" ? f.text : "")).join("\n");
  }

  /** Round-trip time of an app-level ping, ms. */
  async ping(): Promise<number> {
    const started = Date.now();
    await this.whenConnected(() => this.request((ref) => [{ type: "ping", ref }], () => false));
    return Date.now() - started;
  }

  /**
   * Runs one line of chat input the way a chat box would: plain text and `/me`, `/shrug` are
   * sent (see send()), `/join`, `/leave`, `/nick`, `/msg`, `/who`, `/help` go through the
   * typed methods, and anything else is passed to the server, whose error rejects.
   */
  async command(line: string, room?: string): Promise<void> {
    const p = parseCommand(line);
    if (p.kind === "text" || expectedMessage(line)) {
      await this.send(line, room);
      return;
    }
    const msg = /^(\S+)\s+([\s\S]+)$/.exec(p.args);
    if (p.name === "join" && p.args) await this.join(p.args);
    else if (p.name === "leave") await this.leave(p.args || room);
    else if (p.name === "nick" && p.args) await this.setName(p.args);
    else if (p.name === "msg" && msg) await this.direct(msg[1]!, msg[2]!);
    else if (p.name === "who") await this.who(p.args || room);
    else if (p.name === "help") await this.help();
    else await this.whenConnected(() => this.command1(line, () => false, room));
  }

  // ---- connection ------------------------------------------------------------------------

  private open(): void {
    this.setState({ state: "connecting", attempt: this.attempt });
    // A connection always starts in a room: with none left, the client lands in the default one.
    if (this.rooms_.size === 0) {
      this.rooms_.set(DEFAULT_ROOM, new RoomState(DEFAULT_ROOM, this.opts.history));
      this.events.emit("rooms", this.rooms);
    }
    const first = this.rooms_.values().next().value!;
    const url = new URL(this.opts.url);
    if (this.name_ !== null) url.searchParams.set("name", this.name_);
    if (this.opts.token !== undefined) url.searchParams.set("token", this.opts.token);
    url.searchParams.set("room", first.name);
    const since = first.resumeSince();
    if (since !== undefined) url.searchParams.set("since", String(since));

    const ws = new this.opts.WebSocket(url.toString());
    this.ws = ws;
    this.gapRooms = new Set();
    this.timers.connect = setTimeout(() => this.abandon(ws, "connect timeout"), this.opts.connectTimeoutMs);
    // The handshake is a request too: welcome, the first room's users and (with since) its
    // replay all come before the pong of a ping sent right after opening.
    first.beginSync();
    const hs = this.requests.open((f) => (f.type === "users" || f.type === "history") && f.room === first.name);
    ws.onopen = () => ws.send(JSON.stringify({ type: "ping", ref: hs.ref } satisfies ClientFrame));
    ws.onmessage = (e) => this.ws === ws && this.receive(e.data);
    ws.onclose = (e) => this.ws === ws && this.closed(e.code, e.reason);
    hs.done.then((frames) => this.resync(ws, first, since, frames)).catch(() => {});
  }

  /** After the handshake: finish the first room, rejoin the others, settle in-doubt sends, flush. */
  private async resync(ws: WebSocket, first: RoomState, since: number | undefined, frames: ServerFrame[]): Promise<void> {
    try {
      await this.syncRoom(first, since, frames);
      const done = new Set([first]);
      for (;;) {
        const todo = [...this.rooms_.values()].filter((r) => !done.has(r));
        if (todo.length === 0) break;
        for (const r of todo) done.add(r);
        await Promise.all(todo.map((r) => this.syncRoom(r).catch((err) => this.roomFailed(r, err))));
      }
      if (this.ws !== ws) return;
      this.outbox.settleInDoubt(this.connId!, this.gapRooms);
      this.attempt = 0;
      this.nameTakenStrikes = 0;
      this.everConnected = true;
      this.setState({ state: "connected" });
      this.ready.resolve();
      this.flush();
    } catch {
      // The connection dropped mid-resync; its close handler has scheduled the next attempt.
    }
  }

  /** Syncs one room (see sync.ts), and notes a gap for the in-doubt sends of this resync. */
  private async syncRoom(r: RoomState, since?: number, frames?: ServerFrame[]): Promise<void> {
    const gap = frames ? await finishSync(this.syncHost, r, since, frames) : await syncRoom(this.syncHost, r);
    if (gap) this.gapRooms.add(r.name);
    // Left while this sync was running: the server has us in the room again, so leave it.
    if (this.rooms_.get(r.name) !== r) void this.request((ref) => [{ type: "leave", room: r.name }, { type: "ping", ref }], () => false).catch(() => {});
  }

  private readonly syncHost: SyncHost = {
    request: (build, wants) => this.request(build, wants),
    emit: (type, event) => this.events.emit(type, event),
    deliver: (m) => this.deliver(m),
  };

  private roomFailed(r: RoomState, err: unknown): void {
    if (err instanceof HubbubError && err.code === ClientErrorCode.ConnectionLost) return;
    this.dropRoom(r, err);
  }

  private dropRoom(r: RoomState, err: unknown): void {
    if (this.rooms_.get(r.name) !== r) return;
    this.rooms_.delete(r.name);
    r.joined.reject(err);
    this.events.emit("rooms", this.rooms);
  }

  /** Gives up on a socket that went silent (no welcome, or no answer to a ping). */
  private abandon(ws: WebSocket, why: string): void {
    if (this.ws !== ws) return;
    try {
      ws.close();
    } catch {
      // Already closing.
    }
    this.closed(1006, why);
  }

  private closed(code: number, reason: string): void {
    this.teardown(new HubbubError(ClientErrorCode.ConnectionLost, `connection closed (${code}${reason ? ` ${reason}` : ""})`));
    if (this.stopped) return;
    if (code === CloseCode.BadHandshake || code === CloseCode.Unauthorized || (code === CloseCode.NameTaken && !this.everConnected)) {
      const err = new HubbubError(ClientErrorCode.Refused, `the server refused the connection (${code} ${reason})`);
      this.stopped = true;
      this.finished = true;
      this.fail(err);
      this.setState({ state: "offline", error: err });
      return;
    }
    // 4409 after having connected: our previous connection may still hold the name until the
    // server notices it is gone, so retry, and in the end come back as a guest.
    this.nameTakenStrikes = code === CloseCode.NameTaken ? this.nameTakenStrikes + 1 : 0;
    if (this.nameTakenStrikes > NAME_TAKEN_RETRIES) this.name_ = null;
    // 1008 (abuse): come back slowly.
    if (code === CloseCode.Abuse) this.attempt = Math.max(this.attempt, 5);
    const delay = reconnectDelay(this.attempt, this.opts.reconnect, this.retryAfterMs);
    this.retryAfterMs = 0;
    this.attempt++;
    this.timers.reconnect = setTimeout(() => this.open(), delay);
    this.setState({ state: "reconnecting", attempt: this.attempt, retryInMs: delay, retryAt: Date.now() + delay, close: { code, reason } });
  }

  /** Forgets the current socket and everything tied to it. */
  private teardown(err: HubbubError): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
    }
    for (const t of Object.values(this.timers)) if (t) clearTimeout(t);
    this.timers = { connect: null, reconnect: null, flush: null };
    this.heartbeat?.stop();
    this.heartbeat = null;
    this.requests.failAll(err);
    this.outbox.disconnected();
    for (const r of this.rooms_.values()) r.abortSync();
    if (this.ready.settled) this.ready = deferred();
  }

  /** Fails everything waiting on this client for good. */
  private fail(err: HubbubError): void {
    this.outbox.failAll(err);
    for (const r of this.rooms_.values()) if (!r.joined.settled) r.joined.reject(err);
    this.ready.reject(err);
    this.ready = deferred();
  }

  // ---- inbound ---------------------------------------------------------------------------

  private receive(data: unknown): void {
    const f = typeof data === "string" ? parseServerFrame(data) : null;
    if (!f) return console.warn("hubbub: ignored a malformed frame from the server");
    this.heartbeat?.touch();
    this.requests.offer(f);
    switch (f.type) {
      case "welcome":
        this.onWelcome(f);
        break;
      case "users": {
        const r = this.rooms_.get(f.room);
        r?.setUsers(f.users);
        if (r) this.events.emit("roster", { room: f.room, users: this.users(f.room) });
        break;
      }
      case "presence": {
        const r = this.rooms_.get(f.room);
        r?.applyPresence(f.joins, f.leaves);
        const me = f.joins.find((m) => m.id === this.connId);
        if (me) this.rename(me.name);
        if (r) this.events.emit("roster", { room: f.room, users: this.users(f.room) });
        break;
      }
      case "message":
        for (const m of this.rooms_.get(f.room)?.live(f) ?? []) this.deliver(m);
        return;
      case "ack":
        this.outbox.ack(f);
        break;
      case "direct":
        this.outbox.directEcho(f, this.connId);
        break;
      case "error":
        this.outbox.error(f);
        break;
      case "left": {
        const r = this.rooms_.get(f.room);
        if (r) this.dropRoom(r, new HubbubError("not_in_room", `left ${f.room}`));
        break;
      }
      case "shutdown":
        this.retryAfterMs = f.retryAfterMs;
        break;
      case "history":
      case "notice":
      case "pong":
        break;
      default: {
        const never: never = f;
        return never;
      }
    }
    this.events.emit(f.type, f as never);
  }

  private onWelcome(f: Frame<"welcome">): void {
    if (this.timers.connect) clearTimeout(this.timers.connect);
    this.timers.connect = null;
    this.connId = f.id;
    this.limits_ = f.limits;
    this.pacer = new TokenBucket(f.limits.ratePerSecond, Math.max(1, f.limits.ratePerSecond * PACE_BURST_FACTOR), Date.now());
    this.rename(f.name);
    const ws = this.ws!;
    this.heartbeat = new Heartbeat({
      intervalMs: this.opts.pingIntervalMs,
      timeoutMs: this.opts.pongTimeoutMs,
      sendPing: () => ws.send(JSON.stringify({ type: "ping", ref: `h${++this.pingCounter}` } satisfies ClientFrame)),
      onDead: () => this.abandon(ws, "no answer to ping"),
    });
  }

  private deliver(m: MessageFrame): void {
    this.outbox.observe(m);
    this.events.emit("message", m);
  }

  private rename(name: string): void {
    if (name === this.name_) return;
    this.name_ = name;
    this.events.emit("name", name);
  }

  private setState(s: ConnectionState): void {
    this.state_ = s;
    this.events.emit("state", s);
  }

  // ---- outbound --------------------------------------------------------------------------

  /** Writes queued sends in order, paced under the server's rate limit; only when connected. */
  private flush(): void {
    if (this.state_.state !== "connected" || !this.ws || !this.pacer || this.timers.flush) return;
    for (const e of this.outbox.queued()) {
      if (!this.pacer.take(Date.now())) {
        const waitMs = Math.ceil(1000 / (this.limits_?.ratePerSecond ?? 1));
        this.timers.flush = setTimeout(() => {
          this.timers.flush = null;
          this.flush();
        }, waitMs);
        return;
      }
      this.ws.send(JSON.stringify(e.frame));
      this.outbox.markSent(e, this.connId!);
    }
  }

  /** Sends `build(ref)` on the current socket; resolves with the replies `wants` picks, at the barrier pong. */
  private request(build: (ref: string) => ClientFrame[], wants: (f: ServerFrame) => boolean): Promise<ServerFrame[]> {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return Promise.reject(new HubbubError(ClientErrorCode.ConnectionLost, "not connected"));
    const { ref, done } = this.requests.open(wants);
    for (const f of build(ref)) ws.send(JSON.stringify(f));
    return done;
  }

  /** A slash command as a request; its chat carries the barrier's ref, so a rate_limited error finds it. */
  private command1(line: string, wants: (f: ServerFrame) => boolean = () => false, room?: string): Promise<ServerFrame[]> {
    return this.request((ref) => [{ type: "chat", text: line, ref, ...(room ? { room } : {}) }, { type: "ping", ref }], wants);
  }

  /** Runs `fn` once connected; if the connection drops under it, runs it again after the reconnect. */
  private async whenConnected<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.finished) throw closedError();
      if (this.state_.state !== "connected") await this.ready.promise;
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof HubbubError && err.code === ClientErrorCode.ConnectionLost)) throw err;
      }
    }
  }
}
