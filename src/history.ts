// A room's recent messages: a fixed-capacity ring of frames in seq order. Pure data structure,
// used by the memory engine (the Redis engine keeps history in a capped stream instead).
import type { MessageFrame } from "./protocol.ts";

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

  /** Kept messages with seq > since (all when since is undefined), the `limit` newest of them. */
  since(since: number | undefined, limit = this.capacity): MessageFrame[] {
    const out: MessageFrame[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const m = this.ring[(this.start + i) % n]!;
      if (since === undefined || m.seq > since) out.push(m);
    }
    return out.length > limit ? out.slice(out.length - limit) : out;
  }

  get size(): number {
    return this.ring.length;
  }
}
