// Presence coalescing. Membership changes for a room are folded into one pending diff and
// flushed at most once per PRESENCE_INTERVAL_MS, so a storm of N joins costs each member a
// handful of frames instead of N.
import type { Member } from "./shared/protocol.ts";

/**
 * A room's pending changes, with "final state per id" semantics: an id in `joins` is present
 * under that name, an id only in `leaves` is gone. Clients apply leaves before joins, so the
 * diff is correct on top of any state the client had since the last flush, including a
 * `users` snapshot taken mid-interval. That is why a join followed by a leave still sends the
 * leave: a client that joined in between saw the member in its snapshot.
 */
export interface PresenceDiff {
  readonly joins: Map<string, Member>;
  readonly leaves: Map<string, Member>;
}

export const emptyDiff = (): PresenceDiff => ({ joins: new Map(), leaves: new Map() });

/** Folds one change into a diff (pure apart from mutating `diff`). */
export function addChange(diff: PresenceDiff, joins: readonly Member[], leaves: readonly Member[]): void {
  for (const m of leaves) {
    diff.joins.delete(m.id);
    diff.leaves.set(m.id, m);
  }
  for (const m of joins) diff.joins.set(m.id, m);
}

export type PresenceFlush = (room: string, joins: Member[], leaves: Member[]) => void;

/** Buffers diffs per room and flushes them all on one timer. */
export class PresenceCoalescer {
  private pending = new Map<string, PresenceDiff>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: PresenceFlush,
  ) {}

  add(room: string, joins: readonly Member[], leaves: readonly Member[]): void {
    let diff = this.pending.get(room);
    if (!diff) this.pending.set(room, (diff = emptyDiff()));
    addChange(diff, joins, leaves);
    this.timer ??= setTimeout(() => this.flushNow(), this.intervalMs);
  }

  /** Whether a diff for `room` waits to be sent. */
  has(room: string): boolean {
    return this.pending.has(room);
  }

  /** Sends every pending diff now (also used by shutdown so no change is left unsaid). */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending;
    this.pending = new Map();
    for (const [room, diff] of pending) {
      if (diff.joins.size || diff.leaves.size) this.flush(room, [...diff.joins.values()], [...diff.leaves.values()]);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
