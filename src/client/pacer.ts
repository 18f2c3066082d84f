// Pacer: keeps the client's sends under the server's rate limit, so a burst of queued messages
// (a reconnect's flush, say) is spread out instead of refused. A token bucket at the rate the
// welcome gave, and at most one timer to try again once the bucket has refilled a token.
import { TokenBucket } from "../shared/rate-limit.ts";

/** Stays under the server's token bucket (RATE_LIMIT per second, burst twice that). */
const PACE_BURST_FACTOR = 1;

export class Pacer {
  private bucket: TokenBucket | null = null;
  private ratePerSecond = 1;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `retry`: called once the pacer allows sending again after take() said no. */
  constructor(private readonly retry: () => void) {}

  /** A connection's welcome: a full bucket at that connection's rate. */
  restart(ratePerSecond: number): void {
    this.ratePerSecond = ratePerSecond;
    this.bucket = new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond * PACE_BURST_FACTOR), Date.now());
  }

  /** Sending may start: there has been a welcome, and no retry is pending. */
  get ready(): boolean {
    return this.bucket !== null && this.timer === null;
  }

  /** Takes one send's token; with none left, says no and arms the retry. */
  take(): boolean {
    if (!this.bucket) return false;
    if (this.bucket.take(Date.now())) return true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.retry();
    }, Math.ceil(1000 / this.ratePerSecond));
    return false;
  }

  /** The socket is gone: no retry until the next take(). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
