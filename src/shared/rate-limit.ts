// Token bucket: `ratePerSec` tokens per second, holding at most `burst`. Pure apart from the
// clock, which is passed in so tests can drive it.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one; false means the caller is over its rate. */
  take(now: number): boolean {
    const elapsedMs = now - this.last;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
