// The one slow-consumer policy. A connection is evicted (4008) when its unsent buffer stays over
// SLOW_CONSUMER_BYTES: over budget at two checks at least BACKLOG_GRACE_MS apart with no drain in
// between, or at once when it passes the budget by HARD_HEADROOM_BYTES, or when Bun dropped a
// frame for it (a peer that lost a frame must reconnect and recover, not carry on with a hole).
// One big reply (a history page, a user list) is not a slow reader: a reader that is draining
// it is left alone, which judging the buffer right after the write could not tell.
//
// Signals come from three places: a direct send that Bun queued (-1) or dropped (0), a room
// publish whose aggregate status showed backpressure (Bun reports the worst subscriber), and the
// periodic sweep (Hub.sweep), which re-checks the connections being watched: only those, since
// a buffer grows only through sends, and every send reports. Bun's getBufferedAmount() lags a burst of publishes, so a suspect room is
// re-checked on a short timer, never only right after the write.
import { CloseCode } from "./shared/codes.ts";
import type { Session } from "./session.ts";

/** After backpressure shows, how soon (at most) the suspects are checked. */
export const SUSPECT_CHECK_MS = 10;
/** Over budget for this long without draining: evicted. */
export const BACKLOG_GRACE_MS = 1000;
/**
 * Over budget by this much: evicted at once. Stays well under the headroom of Bun's own backstop
 * (server.ts BACKSTOP_HEADROOM_BYTES), which would close the socket without our code.
 */
export const HARD_HEADROOM_BYTES = 2 * 1024 * 1024;

export interface Backlog {
  /** When the buffer was first seen over budget (ms). */
  since: number;
  /** The buffered amount at the last check. */
  bytes: number;
}

/** The verdict on one connection's buffer: pure, for unit tests. */
export function judge(buffered: number, budget: number, prev: Backlog | undefined, now: number): "ok" | "watch" | "evict" {
  if (buffered <= budget) return "ok";
  if (buffered > budget + HARD_HEADROOM_BYTES) return "evict";
  if (!prev) return "watch";
  return now - prev.since >= BACKLOG_GRACE_MS && buffered >= prev.bytes ? "evict" : "watch";
}

export class SlowConsumers {
  /** Connections seen over budget, with when and how much: only those, so idle ones cost nothing. */
  private readonly backlog = new Map<Session, Backlog>();
  /** Rooms whose publish showed backpressure since the last check. */
  private suspects = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastCheck = 0;

  constructor(
    private readonly budgetBytes: number,
    /** This node's sessions in a room. */
    private readonly sessionsIn: (room: string) => Iterable<Session>,
  ) {}

  /** A direct send's Bun status: 0 (dropped) evicts, -1 (queued) makes the connection a suspect. */
  sent(s: Session, status: number): void {
    if (status === 0) return this.evict(s);
    if (status === -1 && s.bufferedAmount() > this.budgetBytes) this.check(s, Date.now());
  }

  /** A room publish's aggregate status: the room's sessions are checked soon. */
  published(room: string, status: number): void {
    if (status <= 0) this.suspect(room);
  }

  /** Checks one connection now; true when it was evicted. */
  check(s: Session, now: number): boolean {
    if (s.closing) return false;
    const verdict = judge(s.bufferedAmount(), this.budgetBytes, this.backlog.get(s), now);
    if (verdict === "ok") {
      this.backlog.delete(s);
      return false;
    }
    if (verdict === "evict") {
      this.evict(s);
      return true;
    }
    // Watched: the sweep looks again (recheck) even if nothing more is sent.
    const prev = this.backlog.get(s);
    this.backlog.set(s, { since: prev?.since ?? now, bytes: s.bufferedAmount() });
    return false;
  }

  /** Looks again at every connection being watched (the sweep's part: nothing else is walked). */
  recheck(now: number): void {
    for (const s of [...this.backlog.keys()]) this.check(s, now);
  }

  /** Forgets a closed connection. */
  forget(s: Session): void {
    this.backlog.delete(s);
  }

  private evict(s: Session): void {
    this.backlog.delete(s);
    s.evict(CloseCode.SlowConsumer);
  }

  private suspect(room: string): void {
    this.suspects.add(room);
    if (this.timer) return;
    const waitMs = Math.max(0, this.lastCheck + SUSPECT_CHECK_MS - Date.now());
    this.timer = setTimeout(() => this.checkSuspects(), waitMs);
  }

  private checkSuspects(): void {
    this.timer = null;
    const now = (this.lastCheck = Date.now());
    const rooms = this.suspects;
    this.suspects = new Set();
    for (const room of rooms) for (const s of this.sessionsIn(room)) this.check(s, now);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
