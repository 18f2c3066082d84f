// Memory back after a crowd. A connect storm leaves megabytes of garbage behind (request and
// URL objects, handshake strings, the join answers' JSON), and so does a crowd leaving (its
// sessions); JavaScriptCore collects only when something allocates again. A server that goes
// quiet after a storm keeps it all in its RSS for as long as it stays quiet (about 0.7 KB per
// connection after 5,000 handshakes, docs/benchmarks.md), and the next crowd pays for the last
// one's collection in the middle of its own handshakes. So once at least RECLAIM_AFTER_CHANGES
// connections have opened or closed since the last collection and none has for
// RECLAIM_QUIET_MS, one synchronous full collection runs (Bun.gc(true): the heap and mimalloc's
// free pages go back, ~25-35 ms for 5,000 connections). It never runs during a storm, and a
// steady trickle of connections never adds up to a collection of its own until it pauses.
// Not Bun.shrink() as well: it looked like 0.7 KB less RSS per connection, but what it gives
// back is JavaScriptCore's compiled code, all of it, once the loop is next idle, so the server
// ran its next work in the interpreter and compiled everything again (bench/findings.md). Pure
// scheduling: the clock and the collection come in from outside (server.ts ticks it with the
// sweep).

/** Connections opened or closed since the last collection before one is worth a pause. */
export const RECLAIM_AFTER_CHANGES = 1000;
/** How long no connection may have opened or closed before collecting. */
export const RECLAIM_QUIET_MS = 2000;

export class Reclaimer {
  private changes = 0;
  /** `changes` as the last tick saw it, and when it last changed. */
  private seen = 0;
  private changedMs: number;

  constructor(
    private readonly collect: () => void,
    now: number,
    private readonly afterChanges = RECLAIM_AFTER_CHANGES,
    private readonly quietMs = RECLAIM_QUIET_MS,
  ) {
    this.changedMs = now;
  }

  /** A connection opened or closed (no clock read: ticks notice the change). */
  changed(): void {
    this.changes++;
  }

  /** Collects when a burst is over; true when it did. */
  tick(now: number): boolean {
    if (this.changes !== this.seen) {
      this.seen = this.changes;
      this.changedMs = now;
      return false;
    }
    if (this.changes < this.afterChanges || now - this.changedMs < this.quietMs) return false;
    this.changes = this.seen = 0;
    this.collect();
    return true;
  }
}
