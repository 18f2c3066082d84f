// Per-room delivery order on one node. Redis pub/sub already delivers a room's messages in seq
// order (the publish script assigns and publishes atomically), so in the steady state this
// only checks `seq === last + 1` and passes the message on. It matters when the subscription
// was interrupted (Redis restart, a dropped or silent subscriber): a message past a gap holds
// the room's stream back while the missing seqs are read from the room's history, then
// everything is delivered in order, each seq once. A gap that history no longer covers
// (trimmed, or Redis lost its data) is skipped with a log line.
//
// Seqs count within an epoch (redis-stream-scripts.ts). A message of another epoch means the
// room's numbering restarted (Redis lost its data): the room starts over at seq 0 of the new
// epoch, and the old epoch is retired, so a late message of it can never restart it back.
import type { Logger } from "../log.ts";
import type { StreamEntry } from "../shared/protocol.ts";

/** A stream entry (a message or a change) with the epoch its seq counts in, and its sender's key (message id, or event eid). */
export interface Sequenced {
  msg: StreamEntry;
  epoch: string;
  key: string;
}

/** What a history read for a gap found: the room's epoch and seq then, and the kept messages asked for. */
export interface Fetched {
  epoch: string;
  seq: number;
  messages: { entry: StreamEntry; key: string }[];
}

export interface SequencerDeps {
  /**
   * Kept messages of `room` with since < seq <= until (no upper bound without `until`), in seq
   * order, when `epoch` is still the room's; every kept message of the room's epoch otherwise.
   */
  fetch(room: string, epoch: string, since: number, until?: number): Promise<Fetched>;
  /** Hands one message to this node's members; called in seq order per room and epoch, once per seq. */
  deliver(msg: StreamEntry, key: string): void;
  /** Seqs `from`..`to` of `room` in `epoch` were not delivered and cannot be (history no longer has them). */
  skipped(room: string, epoch: string, from: number, to: number): void;
  /** The room's numbering restarted under `epoch`: nothing of an earlier epoch will be delivered. */
  restarted(room: string, epoch: string): void;
  log: Logger;
}

interface RoomOrder {
  epoch: string;
  /** The last seq delivered in `epoch` (or known to be before anything this node must deliver). */
  last: number;
  /** Epochs this room left: their messages are dropped. */
  readonly retired: Set<string>;
  /** Set while missing seqs are being read; live messages wait in `held` meanwhile. */
  filling: boolean;
  held: Sequenced[];
}

/** How far a history read reached: a gap up to `until` in `epoch` cannot be filled any more. */
interface Covered {
  epoch: string;
  until: number;
}

export class Sequencer {
  private readonly rooms = new Map<string, RoomOrder>();

  constructor(private readonly deps: SequencerDeps) {}

  /**
   * Starts ordering `room` after seq `last` of `epoch` (read before the node subscribed, so
   * nothing published after the subscription can fall at or below it). Keeps a room already tracked.
   */
  track(room: string, last: number, epoch: string): void {
    if (!this.rooms.has(room)) this.rooms.set(room, { epoch, last, retired: new Set(), filling: false, held: [] });
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

  /** True when seq `seq` of `epoch` was delivered or skipped here (it will not come through). */
  isPast(room: string, epoch: string, seq: number): boolean {
    const r = this.rooms.get(room);
    return r !== undefined && (r.retired.has(epoch) || (r.epoch === epoch && seq <= r.last));
  }

  /** A message from the live stream. Messages of untracked rooms are late and dropped. */
  receive(item: Sequenced): void {
    const r = this.rooms.get(item.msg.room);
    if (!r) return;
    if (r.filling) r.held.push(item);
    else this.run(item.msg.room, r, [item], null);
  }

  /** Delivers whatever `room` missed since its last seq (after the subscription was restored). */
  catchUp(room: string): Promise<void> {
    const r = this.rooms.get(room);
    return r && !r.filling ? this.fill(room, r, []) : Promise.resolve();
  }

  /**
   * Delivers `queue` in order until a gap that history may still fill: then reads it, holding
   * the rest. With `covered`, history was just read that far, so a gap within it is skipped.
   */
  private run(room: string, r: RoomOrder, queue: Sequenced[], covered: Covered | null): void {
    for (let i = 0; i < queue.length; i++) {
      const { msg, epoch, key } = queue[i]!;
      if (epoch !== r.epoch) {
        if (r.retired.has(epoch)) continue;
        this.restart(room, r, epoch);
      }
      if (msg.seq <= r.last) continue;
      if (msg.seq > r.last + 1) {
        if (!covered || covered.epoch !== epoch || msg.seq - 1 > covered.until) return void this.fill(room, r, queue.slice(i));
        this.deps.skipped(room, epoch, r.last + 1, msg.seq - 1);
      }
      r.last = msg.seq;
      this.deps.deliver(msg, key);
    }
  }

  private async fill(room: string, r: RoomOrder, held: Sequenced[]): Promise<void> {
    r.filling = true;
    r.held = held;
    const epoch = r.epoch;
    // Only the missing range: what comes after it is already held or still on its way live.
    const until = held[0] ? held[0].msg.seq - 1 : undefined;
    const got = await this.deps.fetch(room, epoch, r.last, until).catch((err: unknown) => {
      this.deps.log.warn("could not read history to fill a gap", { room, since: r.last, error: String(err) });
      return null;
    });
    if (this.rooms.get(room) !== r) return;
    const queue = r.held;
    r.filling = false;
    r.held = [];
    if (!got) return this.run(room, r, queue, { epoch, until: Infinity });
    if (got.epoch !== r.epoch) this.restart(room, r, got.epoch);
    const reached = got.epoch === epoch && until !== undefined ? until : got.seq;
    this.run(room, r, [...got.messages.map(({ entry, key }) => ({ msg: entry, key, epoch: got.epoch })), ...queue], { epoch: got.epoch, until: reached });
  }

  private restart(room: string, r: RoomOrder, epoch: string): void {
    this.deps.log.warn("a room's numbering restarted (Redis lost its data): delivering it from the new epoch", { room, from: r.epoch, to: epoch, last: r.last });
    r.retired.add(r.epoch);
    r.epoch = epoch;
    r.last = 0;
    this.deps.restarted(room, epoch);
  }
}
