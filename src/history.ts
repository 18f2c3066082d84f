// A room's recent stream: a fixed-capacity ring of entries (messages, and the edits, deletes and
// reactions among them) in seq order, read in pages. Messages are kept in their current state
// (an event replaces its message's slot with the changed copy) and found by id. Pure data
// structure, used by the memory stream (the SQLite store keeps entries on disk, Redis in a stream).
import type { MessageFrame, StreamEntry } from "./shared/protocol.ts";
import type { HistoryQuery } from "./engine/engine.ts";

export class History {
  /**
   * Grows with the room's entries up to `capacity`, then wraps: a room with few messages
   * (most rooms, most of the time) does not hold HISTORY_SIZE empty slots.
   */
  private readonly ring: StreamEntry[] = [];
  /** Index of the oldest entry once the ring is full (0 while it fills). */
  private start = 0;
  /** Kept messages' seqs by message id. */
  private readonly ids = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** Appends an entry; the oldest falls off when full. Seqs must arrive in increasing order. */
  push(entry: StreamEntry): void {
    if (this.capacity === 0) return;
    if (entry.type === "message") this.ids.set(entry.id, entry.seq);
    if (this.ring.length < this.capacity) {
      this.ring.push(entry);
      return;
    }
    const old = this.ring[this.start]!;
    if (old.type === "message" && this.ids.get(old.id) === old.seq) this.ids.delete(old.id);
    this.ring[this.start] = entry;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The kept message `id` in its current state, or null. */
  find(id: string): MessageFrame | null {
    const seq = this.ids.get(id);
    if (seq === undefined) return null;
    const i = this.firstAfter(seq - 1);
    const e = i < this.ring.length ? this.at(i) : null;
    return e?.type === "message" && e.id === id ? e : null;
  }

  /** Replaces a kept message (same seq) with its changed copy. */
  replace(m: MessageFrame): void {
    const i = this.firstAfter(m.seq - 1);
    if (i < this.ring.length && this.at(i).seq === m.seq) this.ring[(this.start + i) % this.ring.length] = m;
  }

  /** Erases the text of every kept edit of message `id` (it was deleted: its words must go). */
  eraseEdits(id: string): void {
    for (let i = 0; i < this.ring.length; i++) {
      const e = this.ring[i]!;
      if (e.type === "edited" && e.id === id) this.ring[i] = { ...e, text: "" };
    }
  }

  /** The i-th kept entry, oldest first. */
  private at(i: number): StreamEntry {
    return this.ring[(this.start + i) % this.ring.length]!;
  }

  /** Index of the first kept entry with seq > `seq` (binary search; seqs are increasing). */
  private firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq > seq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * A page in ascending seq order: with `after`, the first `limit` entries after it (events
   * included: what recovery replays); otherwise the newest `limit` messages before `before` (or
   * overall), without events. `more`: kept entries (messages, reading backwards) lie beyond.
   */
  page(q: HistoryQuery): { messages: StreamEntry[]; more: boolean } {
    const n = this.ring.length;
    if (q.after !== undefined) {
      const from = this.firstAfter(q.after);
      const to = Math.min(n, from + q.limit);
      const out: StreamEntry[] = [];
      for (let i = from; i < to; i++) out.push(this.at(i));
      return { messages: out, more: to < n };
    }
    let i = (q.before === undefined ? n : this.firstAfter(q.before - 1)) - 1;
    const out: StreamEntry[] = [];
    for (; i >= 0 && out.length < q.limit; i--) {
      const e = this.at(i);
      if (e.type === "message") out.push(e);
    }
    let more = false;
    for (; i >= 0 && !more; i--) more = this.at(i).type === "message";
    return { messages: out.reverse(), more };
  }

  get size(): number {
    return this.ring.length;
  }
}
