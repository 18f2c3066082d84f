// A room's recent messages: a fixed-capacity ring of frames in seq order. Pure data structure,
// used by the memory engine (the Redis engine keeps history in a capped stream instead).
import type { MessageFrame } from "./protocol.ts";

export class History {
  private readonly ring: (MessageFrame | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  /** Appends a message; the oldest falls off when full. Seqs must arrive in increasing order. */
  push(msg: MessageFrame): void {
    if (this.capacity === 0) return;
    const end = (this.start + this.count) % this.capacity;
    this.ring[end] = msg;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Kept messages with seq > since (all when since is undefined), the `limit` newest of them. */
  since(since: number | undefined, limit = this.capacity): MessageFrame[] {
    const out: MessageFrame[] = [];
    for (let i = 0; i < this.count; i++) {
      const m = this.ring[(this.start + i) % this.capacity]!;
      if (since === undefined || m.seq > since) out.push(m);
    }
    return out.length > limit ? out.slice(out.length - limit) : out;
  }

  get size(): number {
    return this.count;
  }
}
