// Batched frames (opt-in: `?batch=1` or the subprotocol hubbub.v2.batch, docs/protocol.md).
// A room's frames for this node's batch subscribers are held for the rest of the event-loop
// turn (BATCH_MS 0) or a BATCH_MS window and published as one WebSocket text frame, lines joined
// by `\n`, to the room's batch topic (topics.ts): one native publish and one frame header per
// turn instead of one per message, which is where a busy room's CPU goes. Clients that did not
// ask subscribe to the plain topic and never see a joined frame.
//
// Order: a batch subscriber's direct frames (acks, replies) must not overtake room frames held
// here (an ack follows its message: docs/protocol.md), so a direct send to one first flushes the
// rooms it is in (flushRooms).

export type BatchPublish = (room: string, data: string) => void;

export class Batcher {
  private pending = new Map<string, string[]>();
  private scheduled = false;

  constructor(
    /** BATCH_MS: 0 = flush at the end of the current event-loop turn. */
    private readonly windowMs: number,
    private readonly publish: BatchPublish,
  ) {}

  /** Holds one encoded frame for the room's batch subscribers. */
  add(room: string, data: string): void {
    const lines = this.pending.get(room);
    if (lines) lines.push(data);
    else this.pending.set(room, [data]);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.windowMs === 0) setImmediate(() => this.flushAll());
    else setTimeout(() => this.flushAll(), this.windowMs);
  }

  /** Whether anything waits (a cheap check before a direct send). */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  /** Publishes what waits for these rooms now (before a direct send to one of their members). */
  flushRooms(rooms: readonly string[]): void {
    for (const room of rooms) {
      const lines = this.pending.get(room);
      if (!lines) continue;
      this.pending.delete(room);
      this.publish(room, lines.join("\n"));
    }
  }

  flushAll(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [room, lines] of pending) this.publish(room, lines.join("\n"));
  }
}
