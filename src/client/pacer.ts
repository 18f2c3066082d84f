// Pacer: keeps the client's sends under the server's rate limit, so a burst of queued messages
// (a reconnect's flush, say) is spread out instead of refused. A token bucket at the rate the
// welcome gave, and at most one timer to try again once the bucket has refilled a token.
import { TokenBucket } from "../shared/rate-limit.ts";

/** Stays under the server's token bucket (RATE_LIMIT per second, burst twice that). */
const PACE_BURST_FACTOR = 1;

export interface Pacer {
  /** A connection's welcome: a full bucket at that connection's rate. */
  restart(ratePerSecond: number): void;
  /** Sending may start: there has been a welcome, and no retry is pending. */
  readonly ready: boolean;
  /** Takes one send's token; with none left, says no and arms the retry. */
  take(): boolean;
  /** The socket is gone: no retry until the next take(). */
  cancel(): void;
}

/** `retry`: called once the pacer allows sending again after take() said no. */
export function createPacer(retry: () => void): Pacer {
  let bucket: TokenBucket | null = null;
  let ratePerSecond = 1;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    restart(rate) {
      ratePerSecond = rate;
      bucket = new TokenBucket(rate, Math.max(1, rate * PACE_BURST_FACTOR), Date.now());
    },
    get ready() {
      return bucket !== null && timer === null;
    },
    take() {
      if (!bucket) return false;
      if (bucket.take(Date.now())) return true;
      timer ??= setTimeout(() => {
        timer = null;
        retry();
      }, Math.ceil(1000 / ratePerSecond));
      return false;
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
