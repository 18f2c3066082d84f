// Reconnect timing. Full jitter (a uniformly random delay between 0 and the exponential
// ceiling) spreads thousands of clients over the whole window after a restart instead of
// bringing them back in waves; a server's `shutdown.retryAfterMs` is a floor added in front.

export interface BackoffOptions {
  /** Ceiling of the first retry's random delay, in ms. Default 500. */
  initialDelayMs: number;
  /** The ceiling never grows past this, in ms. Default 30000. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The delay before reconnect attempt number `attempt` (0 for the first retry): a random value
 * in [0, min(maxDelayMs, initialDelayMs * 2^attempt)), plus `retryAfterMs` when the server
 * said how long to stay away.
 */
export function reconnectDelay(attempt: number, opts: BackoffOptions, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(0, retryAfterMs) + Math.floor(random() * ceiling);
}
