// A room's recent messages: a fixed-capacity ring of frames in seq order, read in pages. Pure data
// structure, used by the memory engine (the Redis engine keeps history in a capped stream).
import type { MessageFrame } from "./shared/protocol.ts";
import type { HistoryQuery } from "./engine/engine.ts";

export class History {
  /**
   * Grows with the room's messages up to `capacity`, then wraps: a room with few messages
   * (most rooms, most of the time) does not hold HISTORY_SIZE empty slots.
   */
  private readonly ring: MessageFrame[] = [];
  /** Index of the oldest message once the ring is full (0 while it fills). */
  private start = 0;

  constructor(private readonly capacity: number) {}

  /** Appends a message; the oldest falls off when full. Seqs must arrive in increasing order. */
  push(msg: MessageFrame): void {
    if (this.capacity === 0) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(msg);
      return;
    }
    this.ring[this.start] = msg;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The i-th kept message, oldest first. */
  private at(i: number): MessageFrame {
    return this.ring[(this.start + i) % this.ring.length]!;
  }

  /** Index of the first kept message with seq > `seq` (binary search; seqs are increasing). */
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
   * A page in ascending seq order: with `after`, the first `limit` messages after it; otherwise
   * the newest `limit` before `before` (or overall). `more`: kept messages lie beyond the page.
   */
  page(q: HistoryQuery): { messages: MessageFrame[]; more: boolean } {
    const n = this.ring.length;
    let from: number;
    let to: number;
    if (q.after !== undefined) {
      from = this.firstAfter(q.after);
      to = Math.min(n, from + q.limit);
      return { messages: this.slice(from, to), more: to < n };
    }
    to = q.before === undefined ? n : this.firstAfter(q.before - 1);
    from = Math.max(0, to - q.limit);
    return { messages: this.slice(from, to), more: from > 0 };
  }

  private slice(from: number, to: number): MessageFrame[] {
    const out: MessageFrame[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i));
    return out;
  }

  get size(): number {
    return this.ring.length;
  }
}
