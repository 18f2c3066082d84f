// Session: one connection's state, stored as Bun's `ws.data`. Its fields change only through its
// methods: admission sets who it is (identify, claimed), the Hub its rooms (enterRoom, exitRoom).
// The socket itself is behind the narrow `Socket` interface so the Hub and commands can be
// unit-tested with a fake.
import { allowsRoom, type AuthResult } from "./auth.ts";
import { CloseCode, CloseReason, ErrorCode } from "./shared/codes.ts";
import type { Member, Ref, ServerFrame } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import { TokenBucket } from "./shared/rate-limit.ts";
import { SerialQueue, type Task } from "./serial-queue.ts";

/** The part of Bun's ServerWebSocket we use. */
export interface Socket {
  send(data: string): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  getBufferedAmount(): number;
  ping(): number;
}

/** Limits every session applies, and where it reports; one shared object, not a copy per connection. */
export interface SessionPolicy {
  /** Chat/direct messages per second (RATE_LIMIT); bursts up to twice this. */
  ratePerSecond: number;
  /** Joins and leaves per second (JOIN_RATE_LIMIT); bursts up to twice this. */
  joinsPerSecond: number;
  /** Every other request per second (REQUEST_RATE_LIMIT); bursts up to twice this. */
  requestsPerSecond: number;
  /** Before a direct send to a batch subscriber: its rooms' held frames are published (batcher.ts). */
  beforeDirect?(session: Session): void;
  /** A direct send's Bun status (the slow-consumer policy, backpressure.ts). */
  sent(session: Session, status: number, bytes: number): void;
  /**
   * Called once when this session decides to close itself (eviction, abuse), with the unsent
   * bytes Bun held for it at that moment.
   */
  onEvict(session: Session, code: CloseCode, buffered: number): void;
  /**
   * Called when a queued task throws or rejects (an engine that lost Redis, or a bug), with
   * the ref of the frame it was handling; the connection survives.
   */
  onError(session: Session, err: unknown, ref: Ref | undefined): void;
  /** Called for every error frame sent (metrics). */
  onFail?(code: ErrorCode): void;
}

/**
 * Rate-limited frames a connection may send before it is closed with 1008. One strike comes
 * back per STRIKE_REFILL_PER_SEC, so a client that slips over the limit now and then is only
 * told `rate_limited`, while one that keeps flooding is cut off within a second or two.
 */
export const ABUSE_STRIKES = 20;
export const STRIKE_REFILL_PER_SEC = 1;
/** After an eviction close, how long Bun may keep flushing before the socket is cut. */
export const EVICT_GRACE_MS = 2000;
/**
 * Requests a connection may have waiting behind the one being handled (only an engine that
 * awaits, Redis, ever queues). Past it a frame is refused with `rate_limited` and a strike.
 */
export const MAX_QUEUED_REQUESTS = 64;

/** What the client asked for in the upgrade URL, before validation. */
export interface Handshake {
  name: string | null;
  room: string | null;
  since: string | null;
  epoch: string | null;
  /** A guest's resume token (`?resume=`). */
  resume: string | null;
  /** The token check when AUTH_SECRET is set (server.ts); null when anonymous names are allowed. */
  auth?: AuthResult | null;
  /** The client asked for batched frames (`?batch=1` or the batch subprotocol; batcher.ts). */
  batch?: boolean;
}

/** Where the connection comes from, as the connection limits counted it. */
export interface Origin {
  /** The client address ("" when unknown). */
  ip: string;
  /** The per-address message budget this connection shares with its address's other sockets. */
  ipBucket: TokenBucket | null;
}

/**
 * A connection's rate buckets, each made on first use, in one object made on the first metered
 * frame: an idle connection carries one null field instead of four.
 */
interface Meters {
  chat?: TokenBucket;
  join?: TokenBucket;
  request?: TokenBucket;
  strikes?: TokenBucket;
}

export class Session extends SerialQueue {
  /** Connection id: unique per socket (`welcome.conn`), used in logs. */
  readonly conn: string;
  /** Takes room frames batched (batcher.ts): subscribed to the rooms' batch topics. */
  readonly batch: boolean;
  readonly ip: string;
  private readonly ipBucket: TokenBucket | null;
  private userId_: string;
  private name_ = "";
  private nameKey_ = "";
  private readonly rooms_: string[] = [];
  private handshake_: Handshake | null;
  /** Last time (ms, Date.now) the peer sent anything: a frame or a pong. */
  lastSeenMs: number;
  /** When the last liveness ping went out (ms). */
  private pingedMs = 0;
  private idleSlot_ = -1;
  private idleIndex_ = -1;
  private closing_ = false;
  private ws: Socket | null = null;
  /**
   * Rate buckets, made on first use so an idle connection carries none. Lazy creation
   * changes nothing: a bucket starts full, and one made at connect would still be full now.
   */
  private meters: Meters | null = null;
  /** The rooms a token allows (its `rooms` claim: names and `prefix*` patterns); null = any room. */
  private allowedRooms_: readonly string[] | null = null;
  /** Who the token says: 1 = a token's user, 3 = an admin (its `admin` claim). 0: a guest. */
  private privileges = 0;
  /** `member`, kept while the id and name are unchanged: engines store it, so one object serves them all. */
  private memberCache: Member | null = null;

  constructor(
    conn: string,
    handshake: Handshake,
    private readonly policy: SessionPolicy,
    origin: Origin = { ip: "", ipBucket: null },
    now = Date.now(),
  ) {
    super();
    this.conn = conn;
    this.userId_ = conn;
    this.batch = handshake.batch === true;
    this.handshake_ = handshake;
    this.ip = origin.ip;
    this.ipBucket = origin.ipBucket;
    this.lastSeenMs = now;
  }

  protected get maxWaiting(): number {
    return MAX_QUEUED_REQUESTS;
  }

  protected taskFailed(err: unknown, ref: Ref | undefined): void {
    this.policy.onError(this, err, ref);
  }

  /**
   * User id: the id in presence, user lists and direct messages, stable across reconnects and
   * tabs: the token's `sub`, a resumed guest's id, or (a new guest) this connection's id.
   */
  get userId(): string {
    return this.userId_;
  }
  /** Display name (NFC); set once claimed. */
  get name(): string {
    return this.name_;
  }
  /** The uniqueness key of `name` (name-key.ts). */
  get nameKey(): string {
    return this.nameKey_;
  }
  /** Rooms this connection is in, in join order; the first is the default for `chat`. */
  get rooms(): readonly string[] {
    return this.rooms_;
  }
  /** Handshake parameters, until the session is admitted. */
  get handshake(): Handshake | null {
    return this.handshake_;
  }
  /** Set once the close has begun (by either side); nothing is sent after it. */
  get closing(): boolean {
    return this.closing_;
  }

  /** Takes on the user id admission settled on. */
  identify(userId: string): void {
    this.userId_ = userId;
  }

  /** Takes on what a verified token grants: its `rooms` claim (the rooms this connection may join) and its `admin` claim. */
  grant(rooms: readonly string[] | undefined, admin: boolean): void {
    if (rooms) this.allowedRooms_ = rooms;
    this.privileges = admin ? 3 : 1;
  }

  /** Whether this connection may join `room` (a normalised room name) as far as its token says. */
  mayJoin(room: string): boolean {
    return this.allowedRooms_ === null || allowsRoom(this.allowedRooms_, room);
  }

  /** A guest: no token vouches for this user (ANON_ROOMS decides whether guests may create rooms). */
  get guest(): boolean {
    return this.privileges === 0;
  }

  /** A server-wide moderator (the token's `admin` claim). */
  get admin(): boolean {
    return this.privileges === 3;
  }

  /** The handshake is done with (admitted or refused): its parameters are dropped. */
  handshakeDone(): void {
    this.handshake_ = null;
  }

  /**
   * Takes on a claimed name. `member` is the object the engine's name index keeps; the session
   * reuses it, and the name for the key when they are equal (the usual case).
   */
  claimed(name: string, key: string, member: Member): void {
    this.name_ = name;
    this.nameKey_ = key === name ? name : key;
    this.memberCache = member;
  }

  /** This session as a room member. Never mutate it: a rename makes a new one. */
  get member(): Member {
    const m = this.memberCache;
    if (m !== null && m.id === this.userId_ && m.name === this.name_) return m;
    return (this.memberCache = { id: this.userId_, name: this.name_ });
  }

  /** Hub only: records a room joined (the room string is the Hub's, shared by its members). */
  enterRoom(room: string): void {
    this.rooms_.push(room);
  }

  /** Hub only: forgets a room. */
  exitRoom(room: string): void {
    const i = this.rooms_.indexOf(room);
    if (i >= 0) this.rooms_.splice(i, 1);
  }

  /** Binds the Bun socket; called from the `open` handler. */
  attach(ws: Socket): void {
    this.ws = ws;
  }

  get socket(): Socket | null {
    return this.ws;
  }

  /** Sends one frame. Never throws; the slow-consumer policy hears Bun's answer. */
  send(frame: ServerFrame): void {
    this.sendEncoded(encode(frame));
  }

  /** Sends an already encoded frame (shared between recipients). */
  sendEncoded(data: string): void {
    if (this.closing_ || !this.ws) return;
    // Room frames held for this batch subscriber go first: a direct frame never overtakes them.
    if (this.batch) this.policy.beforeDirect?.(this);
    this.policy.sent(this, this.ws.send(data), data.length);
  }

  /** Sends an `error` frame; each counts as a strike towards the 1008 abuse close. */
  fail(code: ErrorCode, message: string, ref?: Ref): void {
    this.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
    this.policy.onFail?.(code);
    this.strike();
  }

  /**
   * Sends an `error` frame for a failure that is not the client's doing (the engine could not
   * serve the request): counted like any error frame, but no strike.
   */
  reject(code: ErrorCode, message: string, ref?: Ref): void {
    if (this.closing_) return;
    this.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
    this.policy.onFail?.(code);
  }

  /** One protocol or rate violation. Too many in a short time closes with 1008. */
  strike(now = Date.now()): void {
    const m = (this.meters ??= {});
    m.strikes ??= new TokenBucket(STRIKE_REFILL_PER_SEC, ABUSE_STRIKES, now);
    if (!m.strikes.take(now)) this.evict(CloseCode.Abuse);
  }

  /** A chat/direct message within this connection's rate and its address's shared budget (takes a token from each). */
  allowMessage(now = Date.now()): boolean {
    const m = (this.meters ??= {});
    m.chat ??= new TokenBucket(this.policy.ratePerSecond, this.policy.ratePerSecond * 2, now);
    return m.chat.take(now) && (this.ipBucket === null || this.ipBucket.take(now));
  }

  /** A join or leave within JOIN_RATE_LIMIT (takes a token). */
  allowMembershipChange(now = Date.now()): boolean {
    const m = (this.meters ??= {});
    m.join ??= new TokenBucket(this.policy.joinsPerSecond, this.policy.joinsPerSecond * 2, now);
    return m.join.take(now);
  }

  /** Any other request (who, history, nick, ping) within REQUEST_RATE_LIMIT (takes a token). */
  allowRequest(now = Date.now()): boolean {
    const m = (this.meters ??= {});
    m.request ??= new TokenBucket(this.policy.requestsPerSecond, this.policy.requestsPerSecond * 2, now);
    return m.request.take(now);
  }

  /**
   * Runs `task` after every earlier task of this connection (serial-queue.ts). False when too
   * many already wait; `force` is for the disconnect, which always runs.
   */
  enqueue(task: Task, ref?: Ref, force = false): boolean {
    return this.push(task, ref, force);
  }

  /** The socket has closed (Bun's close handler ran): nothing more is sent. */
  markClosed(): void {
    this.closing_ = true;
  }

  /** Closes with `code` and its catalog reason. Idempotent. */
  close(code: CloseCode, reason = CloseReason[code]): void {
    if (this.closing_ || !this.ws) return;
    this.closing_ = true;
    this.ws.close(code, reason);
  }

  /**
   * Server-initiated removal (slow consumer, abuse, idle): close with our code, then cut the
   * TCP connection if Bun is still holding it after EVICT_GRACE_MS. A peer that never reads
   * would otherwise keep its unsent buffer (up to Bun's backpressure limit) alive.
   */
  evict(code: CloseCode): void {
    if (this.closing_ || !this.ws) return;
    const ws = this.ws;
    const buffered = ws.getBufferedAmount();
    this.close(code);
    this.policy.onEvict(this, code, buffered);
    setTimeout(() => ws.terminate(), EVICT_GRACE_MS).unref();
  }

  /** Unsent bytes Bun holds for this connection. */
  bufferedAmount(): number {
    return this.ws?.getBufferedAmount() ?? 0;
  }

  /** The idle wheel's slot this connection is due in (-1: none); set by the wheel only. */
  get idleSlot(): number {
    return this.idleSlot_;
  }

  /** Its place in that slot's list (idle-wheel.ts). */
  get idleIndex(): number {
    return this.idleIndex_;
  }

  parkIdleCheck(slot: number, index = -1): void {
    this.idleSlot_ = slot;
    this.idleIndex_ = index;
  }

  touch(now = Date.now()): void {
    this.lastSeenMs = now;
  }

  /** Sends a protocol ping unless one went out since the peer was last heard from. */
  pingOnce(): void {
    if (this.pingedMs > this.lastSeenMs || !this.ws) return;
    this.pingedMs = Date.now();
    this.ws.ping();
  }
}
