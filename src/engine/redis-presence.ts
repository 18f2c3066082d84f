// PresenceStore on Redis, and which rooms this node listens to. Joining a room is what makes a
// node subscribe to its channel (so Redis sends a node only the traffic of rooms it has members
// in); the room's last local member leaving unsubscribes it, after a linger. The member list is
// a hash per room (redis-keys.ts); a page reads it whole and sorts it here, which is fine for
// rooms of thousands, not of millions.
import type { Logger } from "../log.ts";
import type { Member } from "../shared/protocol.ts";
import type { MemberPage, PresenceStore, RoomPage } from "./engine.ts";
import type { Channels } from "./redis-channels.ts";
import { parseMemberJson } from "./redis-envelope.ts";
import type { RedisHistory } from "./redis-history.ts";
import type { RedisKeys } from "./redis-keys.ts";
import type { Ownership } from "./redis-ownership.ts";
import { pruneRoomScript, type Send } from "./redis-scripts.ts";
import type { Sequencer } from "./redis-sequencer.ts";

/** After a room's last local member leaves, the node stays subscribed this long (a rename may be a leave then a join). */
export const UNSUBSCRIBE_LINGER_MS = 1000;

export interface PresenceDeps {
  keys: RedisKeys;
  send: Send;
  own: Ownership;
  sequencer: Sequencer;
  channels: Channels;
  history: RedisHistory;
  log: Logger;
}

export class RedisPresence implements PresenceStore {
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly d: PresenceDeps) {}

  async join(room: string, member: Member): Promise<void> {
    const linger = this.lingering.get(room);
    if (linger) clearTimeout(linger);
    this.lingering.delete(room);
    // Recorded first, so a recovery meanwhile restores it; written once subscribed, so this
    // node hears every change after its own join.
    this.d.own.add(room, member);
    if (!this.d.sequencer.isTracked(room)) await this.track(room);
    await this.d.channels.add(this.d.keys.roomChannel(room));
    await this.d.own.writeJoin(room, member);
  }

  async leave(room: string, member: Member): Promise<void> {
    const written = this.d.own.leave(room, member.id);
    if (this.d.own.hasRoom(room) && !this.d.own.isOccupied(room)) this.unwatchLater(room);
    await written;
  }

  async page(room: string, after: string | undefined, limit: number): Promise<MemberPage> {
    const values = (await this.d.send("HVALS", [this.d.keys.roomMembers(room)])) as unknown[];
    const all: Member[] = [];
    for (const v of values) {
      const m = parseMemberJson(v);
      if (m) all.push(m);
      else this.d.log.warn("dropped a malformed member entry", { room, sample: String(v).slice(0, 200) });
    }
    // Code-unit order, as the memory engine's MemberList: `<` on strings, not localeCompare.
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const from = after === undefined ? 0 : firstAbove(all, after);
    const users = all.slice(from, from + Math.max(0, limit));
    const page: MemberPage = { count: all.length, users };
    if (from + users.length < all.length && users.length > 0) page.next = users[users.length - 1]!.id;
    return page;
  }

  /**
   * A page of the rooms index (P:rooms, ordered by name) with each room's member count. A
   * room found empty (its last member left with a dead node, which the reap does not unindex)
   * is pruned and skipped, so a page may take a few reads.
   */
  async rooms(after: string | undefined, limit: number): Promise<RoomPage> {
    const out: { room: string; count: number }[] = [];
    let from = after === undefined ? "-" : `(${after}`;
    for (;;) {
      const want = Math.max(0, limit - out.length) + 1;
      const names = (await this.d.send("ZRANGEBYLEX", [this.d.keys.rooms, from, "+", "LIMIT", "0", String(want)])) as string[];
      const counts = (await Promise.all(names.map((room) => this.d.send("HLEN", [this.d.keys.roomMembers(room)])))) as number[];
      for (let i = 0; i < names.length; i++) {
        const room = names[i]!;
        if (Number(counts[i]) > 0) {
          if (out.length === limit) return { rooms: out, next: out[out.length - 1]!.room };
          out.push({ room, count: Number(counts[i]) });
        } else await pruneRoomScript.run(this.d.send, [this.d.keys.rooms, this.d.keys.roomMembers(room)], [room]);
      }
      if (names.length < want) return { rooms: out };
      from = `(${names[names.length - 1]}`;
    }
  }

  /** Rooms with local members that are not tracked yet (joined during an outage): track them, and want their channel. */
  async retrack(): Promise<void> {
    const untracked = this.d.own.localRooms().filter((room) => !this.d.sequencer.isTracked(room));
    await Promise.all(untracked.map((room) => this.track(room)));
    for (const room of untracked) this.d.channels.want(this.d.keys.roomChannel(room));
  }

  close(): void {
    for (const t of this.lingering.values()) clearTimeout(t);
    this.lingering.clear();
  }

  /**
   * Starts ordering a room after its current position. Read before subscribing, so every
   * message published after the subscription has a greater seq and a gap can be told from a repeat.
   */
  private async track(room: string): Promise<void> {
    const { seq, epoch } = await this.d.history.position(room);
    this.d.sequencer.track(room, seq, epoch);
  }

  private unwatchLater(room: string): void {
    if (this.lingering.has(room)) return;
    const timer = setTimeout(() => {
      this.lingering.delete(room);
      if (this.d.own.isOccupied(room)) return;
      this.d.own.dropRoom(room);
      this.d.sequencer.untrack(room);
      this.d.channels.remove(this.d.keys.roomChannel(room));
    }, UNSUBSCRIBE_LINGER_MS);
    this.lingering.set(room, timer);
  }
}

/** The index of the first member with an id greater than `id` (members sorted by id). */
function firstAbove(sorted: Member[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
