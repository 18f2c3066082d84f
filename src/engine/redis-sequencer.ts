// Per-room delivery order on one node. Redis pub/sub already delivers a room's messages in seq
// order (the publish script assigns and publishes atomically), so in the steady state this
// only checks `seq === last + 1` and passes the message on. It matters when the subscription
// was interrupted (Redis restart, a dropped or silent subscriber): a message past a gap holds
// the room's stream back while the missing seqs are read from the room's history, then
// everything is delivered in order, each seq once. A gap that history no longer covers
// (trimmed, or Redis lost its data) is skipped with a log line.
import type { Logger } from "../log.ts";
import type { MessageFrame } from "../shared/protocol.ts";

export interface SequencerDeps {
  /** Kept messages of `room` with since < seq <= until (no upper bound without `until`), in seq order. */
  fetch(room: string, since: number, until?: number): Promise<MessageFrame[]>;
  /** Hands one message to this node's members; called in seq order per room, once per seq. */
  deliver(msg: MessageFrame): void;
  /** Seqs `from`..`to` of `room` were not delivered and cannot be (history no longer has them). */
  skipped(room: string, from: number, to: number): void;
  log: Logger;
}

interface RoomOrder {
  /** The last seq delivered (or known to be before anything this node must deliver). */
  last: number;
  /** Set while missing seqs are being read; live messages wait in `held` meanwhile. */
  filling: boolean;
  held: MessageFrame[];
}

export class Sequencer {
  private readonly rooms = new Map<string, RoomOrder>();

  constructor(private readonly deps: SequencerDeps) {}

  /**
   * Starts ordering `room` after seq `last` (read before the node subscribed, so nothing
   * published after the subscription can fall at or below it). Keeps a room already tracked.
   */
  track(room: string, last: number): void {
    if (!this.rooms.has(room)) this.rooms.set(room, { last, filling: false, held: [] });
  }

  untrack(room: string): void {
    this.rooms.delete(room);
  }

  isTracked(room: string): boolean {
    return this.rooms.has(room);
  }

  tracked(): string[] {
    return [...this.rooms.keys()];
  }

  /** The last seq delivered in `room`, or 0 when the room is not tracked. */
  last(room: string): number {
    return this.rooms.get(room)?.last ?? 0;
  }

  /** A message from the live stream. Messages of untracked rooms are late and dropped. */
  receive(msg: MessageFrame): void {
    const r = this.rooms.get(msg.room);
    if (!r) return;
    if (r.filling) {
      r.held.push(msg);
    } else if (msg.seq === r.last + 1) {
      r.last = msg.seq;
      this.deps.deliver(msg);
    } else if (msg.seq > r.last) {
      void this.fill(msg.room, r, [msg]);
    }
  }

  /** Delivers whatever `room` missed since its last seq (after the subscription was restored). */
  catchUp(room: string): Promise<void> {
    const r = this.rooms.get(room);
    return r && !r.filling ? this.fill(room, r, []) : Promise.resolve();
  }

  private async fill(room: string, r: RoomOrder, held: MessageFrame[]): Promise<void> {
    r.filling = true;
    r.held = held;
    // Only the missing range: what comes after it is already held or still on its way live.
    const until = held[0] ? held[0].seq - 1 : undefined;
    const missed = await this.deps.fetch(room, r.last, until).catch((err: unknown) => {
      this.deps.log.warn("could not read history to fill a gap", { room, since: r.last, error: String(err) });
      return [] as MessageFrame[];
    });
    const all = [...missed, ...r.held].sort((a, b) => a.seq - b.seq);
    r.filling = false;
    r.held = [];
    for (const m of all) {
      if (m.seq <= r.last) continue;
      if (m.seq > r.last + 1) this.deps.skipped(room, r.last + 1, m.seq - 1);
      r.last = m.seq;
      this.deps.deliver(m);
    }
  }
}
