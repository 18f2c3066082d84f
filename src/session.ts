// Session: one connection's state, stored as Bun's `ws.data`. A Session changes its own fields
// through its methods; the Hub (hub.ts) is the only caller that changes its room list and name.
// The socket itself is behind the narrow `Socket` interface so the Hub and commands can be
// unit-tested with a fake.
import type { AuthResult } from "./auth.ts";
import { CloseCode, CloseReason, ErrorCode } from "./shared/codes.ts";
import type { Member, ServerFrame } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import { TokenBucket } from "./shared/rate-limit.ts";

/** The part of Bun's ServerWebSocket we use. */
export interface Socket {
  send(data: string): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  getBufferedAmount(): number;
  ping(): number;
  cork<T>(fn: () => T): T;
}

/** Limits every session applies; one shared object, not a copy per connection. */
export interface SessionPolicy {
  /** Unsent bytes past which a connection is evicted (SLOW_CONSUMER_BYTES). */
  slowConsumerBytes: number;
  /** Chat/direct messages per second (RATE_LIMIT); bursts up to twice this. */
  ratePerSecond: number;
  /** Joins and leaves per second (JOIN_RATE_LIMIT); bursts up to twice this. */
  joinsPerSecond: number;
  /** Called once when this session decides to close itself (eviction, abuse). */
  onEvict(session: Session, code: CloseCode): void;
  /**
   * Called when a queued task throws or rejects (an engine that lost Redis, or a bug), with
   * the ref of the frame it was handling; the connection survives.
   */
  onError(session: Session, err: unknown, ref: Ref): void;
  /** Called for every error frame sent (metrics). */
  onFail?(code: ErrorCode): void;
  /** Called for every frame written to this socket directly (not via a topic), with its size (metrics). */
  onSend?(bytes: number): void;
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

/** One piece of a connection's work (handling a frame, admit, disconnect). */
export type Task = () => Promise<void> | void;
/** The client's `ref` of the frame a task handles, if it had one. */
export type Ref = string | number | undefined;

/** What the client asked for in the upgrade URL, before validation. */
export interface Handshake {
  name: string | null;
  room: string | null;
  since: string | null;
  /** The token check when AUTH_SECRET is set (server.ts); null when anonymous names are allowed. */
  auth?: AuthResult | null;
}

export class Session {
  /** Connection id: unique per socket, used in logs. */
  readonly id: string;
  /**
   * User id: the id in presence, user lists and direct messages. The connection id
   * for anonymous users; the token's `sub` with AUTH_SECRET, so several connections (tabs) of
   * one user are one member. Set by the Hub on admit.
   */
  userId: string;
  /** The client address the connection limits count it under ("" when unknown). */
  ip = "";
  /** The per-address message budget this connection shares with its address's other sockets. */
  ipBucket: TokenBucket | null = null;
  /** Display name (NFC); set by the Hub once claimed. */
  name = "";
  /** The uniqueness key of `name` (names.ts nameKey); set by the Hub with `name`. */
  nameKey = "";
  /** Rooms this connection is in, in join order; the first is the default for `chat`. Hub-owned. */
  readonly rooms: string[] = [];
  /** Handshake parameters, dropped once the Hub has admitted the session. */
  handshake: Handshake | null;
  /** Last time (ms, Date.now) the peer sent anything: a frame or a pong. */
  lastSeenMs: number;
  /** When the last liveness ping went out (ms). */
  private pingedMs = 0;
  /** Set once the close has begun (by either side); nothing is sent after it. */
  closing = false;
  /** A task of this connection is running, synchronously or across an await (see enqueue). */
  private busy = false;
  /** Tasks waiting for the running one (with their refs), oldest first; null when none wait (the usual case). */
  private waiting: { task: Task; ref: Ref }[] | null = null;
  private ws: Socket | null = null;
  /**
   * Rate buckets, made on first use so an idle connection carries none. Lazy creation
   * changes nothing: a bucket starts full, and one made at connect would still be full now.
   */
  private chatBucket: TokenBucket | null = null;
  private joinBucket: TokenBucket | null = null;
  private strikes: TokenBucket | null = null;
  /** `member`, kept while the id and name are unchanged: engines store it (names, user lists), so one object serves them all. */
  private memberCache: Member | null = null;

  constructor(
    id: string,
    handshake: Handshake,
    private readonly policy: SessionPolicy,
    now = Date.now(),
  ) {
    this.id = id;
    this.userId = id;
    this.handshake = handshake;
    this.lastSeenMs = now;
  }

  /**
   * Takes on a name the Hub has claimed. `member` is the object the engine's name index keeps;
   * the session reuses it, and the name for the key when they are equal (the usual case), so
   * each connection holds one copy of each.
   */
  claimed(name: string, key: string, member: Member): void {
    this.name = name;
    this.nameKey = key === name ? name : key;
    this.memberCache = member;
  }

  /** This session as a room member. Never mutate it: a rename makes a new one. */
  get member(): Member {
    const m = this.memberCache;
    if (m !== null && m.id === this.userId && m.name === this.name) return m;
    return (this.memberCache = { id: this.userId, name: this.name });
  }

  /** Binds the Bun socket; called from the `open` handler. */
  attach(ws: Socket): void {
    this.ws = ws;
  }

  get socket(): Socket | null {
    return this.ws;
  }

  /** Sends one frame. Never throws; a refused or over-budget send evicts this session. */
  send(frame: ServerFrame): void {
    this.sendEncoded(encode(frame));
  }

  /** Sends an already encoded frame (shared between recipients). */
  sendEncoded(data: string): void {
    if (this.closing || !this.ws) return;
    const status = this.ws.send(data);
    if (this.policy.onSend) this.policy.onSend(Buffer.byteLength(data));
    // 0: Bun dropped it (over its own backpressure limit): the peer has lost a frame.
    // -1: queued; evict once the queue passes our budget.
    if (status === 0 || (status === -1 && this.ws.getBufferedAmount() > this.policy.slowConsumerBytes)) {
      this.evict(CloseCode.SlowConsumer);
    }
  }

  /** Sends an `error` frame; each counts as a strike towards the 1008 abuse close. */
  fail(code: ErrorCode, message: string, ref?: string | number): void {
    this.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
    this.policy.onFail?.(code);
    this.strike();
  }

  /**
   * Sends an `error` frame for a failure that is not the client's doing (the engine could not
   * serve the request): counted like any error frame, but no strike.
   */
  reject(code: ErrorCode, message: string, ref?: string | number): void {
    if (this.closing) return;
    this.send(ref === undefined ? { type: "error", code, message } : { type: "error", code, message, ref });
    this.policy.onFail?.(code);
  }

  /** One protocol or rate violation. Too many in a short time closes with 1008. */
  strike(now = Date.now()): void {
    this.strikes ??= new TokenBucket(STRIKE_REFILL_PER_SEC, ABUSE_STRIKES, now);
    if (!this.strikes.take(now)) this.evict(CloseCode.Abuse);
  }

  /**
   * True when a chat/direct message is within this connection's rate limit and its address's
   * shared budget (and takes a token from each).
   */
  allowMessage(now = Date.now()): boolean {
    this.chatBucket ??= new TokenBucket(this.policy.ratePerSecond, this.policy.ratePerSecond * 2, now);
    return this.chatBucket.take(now) && (this.ipBucket === null || this.ipBucket.take(now));
  }

  /** True when a join or leave is within JOIN_RATE_LIMIT (and takes a token). */
  allowMembershipChange(now = Date.now()): boolean {
    this.joinBucket ??= new TokenBucket(this.policy.joinsPerSecond, this.policy.joinsPerSecond * 2, now);
    return this.joinBucket.take(now);
  }

  /**
   * Runs `task` after every earlier task of this connection, so frames are handled in order
   * even when a handler awaits the engine. When nothing is running (nearly always) the task
   * starts here and now: inside Bun's message handler and its cork, with no promise chain of
   * its own, so an idle connection holds no promise at all. A task enqueued while another
   * runs, even from inside it, waits for it.
   */
  enqueue(task: Task, ref?: Ref): void {
    if (this.busy) {
      (this.waiting ??= []).push({ task, ref });
      return;
    }
    this.busy = true;
    this.runFrom(task, ref);
  }

  /** Runs `task`, then each waiting task; a task that returns a promise resumes the rest when it settles. */
  private runFrom(first: Task, firstRef: Ref): void {
    let task: Task | undefined = first;
    let ref = firstRef;
    while (task) {
      let result: Promise<void> | void = undefined;
      try {
        result = task();
      } catch (err) {
        this.report(err, ref);
      }
      if (result instanceof Promise) {
        const failedRef = ref;
        result.then(
          () => this.runNext(),
          (err: unknown) => {
            this.report(err, failedRef);
            this.runNext();
          },
        );
        return;
      }
      const next = this.waiting?.shift();
      task = next?.task;
      ref = next?.ref;
    }
    this.waiting = null;
    this.busy = false;
  }

  /** Hands a task's failure to the policy; a failing handler must not stall the queue. */
  private report(err: unknown, ref: Ref): void {
    try {
      this.policy.onError(this, err, ref);
    } catch (handlerErr) {
      console.error("session error handler failed", handlerErr);
    }
  }

  private runNext(): void {
    const next = this.waiting?.shift();
    if (next) return this.runFrom(next.task, next.ref);
    this.waiting = null;
    this.busy = false;
  }

  /** The socket has closed (Bun's close handler ran): nothing more is sent. */
  markClosed(): void {
    this.closing = true;
  }

  /** Closes with `code` and its catalog reason. Idempotent. */
  close(code: CloseCode, reason = CloseReason[code]): void {
    if (this.closing || !this.ws) return;
    this.closing = true;
    this.ws.close(code, reason);
  }

  /**
   * Server-initiated removal (slow consumer, abuse, idle): close with our code, then cut the
   * TCP connection if Bun is still holding it after EVICT_GRACE_MS. A peer that never reads
   * would otherwise keep its unsent buffer (up to Bun's backpressure limit) alive.
   */
  evict(code: CloseCode): void {
    if (this.closing || !this.ws) return;
    const ws = this.ws;
    this.close(code);
    this.policy.onEvict(this, code);
    setTimeout(() => ws.terminate(), EVICT_GRACE_MS).unref();
  }

  /** Unsent bytes Bun holds for this connection. */
  bufferedAmount(): number {
    return this.ws?.getBufferedAmount() ?? 0;
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
