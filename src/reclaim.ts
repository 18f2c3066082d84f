// Memory back after a crowd. A connect storm leaves megabytes of garbage behind (request and
// URL objects, handshake strings, the join answers' JSON), and JavaScriptCore collects only
// when something allocates again: a server that goes quiet after the storm keeps it all in its
// RSS for as long as it stays quiet (about 0.7 KB per connection after 5,000 handshakes,
// docs/benchmarks.md). So once at least RECLAIM_AFTER_OPENS connections have opened since the
// last collection and none has opened for RECLAIM_QUIET_MS, one synchronous full collection
// runs (Bun.gc(true): the heap and mimalloc's free pages go back, ~25 ms for 5,000
// connections). It never runs during a storm, and a steady trickle of connections never adds
// up to a collection of its own until it pauses. Pure scheduling: the clock and the collection
// come in from outside (server.ts ticks it with the sweep).

/** Connections opened since the last collection before one is worth a pause. */
export const RECLAIM_AFTER_OPENS = 1000;
/** How long no connection may have opened before collecting. */
export const RECLAIM_QUIET_MS = 2000;

export class Reclaimer {
  private opens = 0;
  /** `opens` as the last tick saw it, and when it last changed. */
  private seen = 0;
  private changedMs: number;

  constructor(
    private readonly collect: () => void,
    now: number,
    private readonly afterOpens = RECLAIM_AFTER_OPENS,
    private readonly quietMs = RECLAIM_QUIET_MS,
  ) {
    this.changedMs = now;
  }

  /** A connection opened (no clock read: ticks notice the change). */
  opened(): void {
    this.opens++;
  }

  /** Collects when a burst is over; true when it did. */
  tick(now: number): boolean {
    if (this.opens !== this.seen) {
      this.seen = this.opens;
      this.changedMs = now;
      return false;
    }
    if (this.opens < this.afterOpens || now - this.changedMs < this.quietMs) return false;
    this.opens = this.seen = 0;
    this.collect();
    return true;
  }
}
