// PresenceStore on Redis, and which rooms this node listens to. Joining a room is what makes a
// node subscribe to its channel (so Redis sends a node only the traffic of rooms it has members
// in); the room's last local member leaving unsubscribes it, after a linger. The member list is
// a hash per room (id → member, HLEN the count) beside a sorted set of the ids (redis-keys.ts),
// so a page costs Redis work in proportion to the page, and a join's answer does not grow with
// the room. Ids are ordered by their bytes (UTF-8), which is code-point order.
import type { Logger } from "../log.ts";
import type { Member } from "../shared/protocol.ts";
import type { MemberPage, PresenceStore, RoomPage } from "./engine.ts";
import type { Channels } from "./redis-channels.ts";
import { parseMemberJson } from "./redis-envelope.ts";
import type { RedisHistory } from "./redis-history.ts";
import type { RedisKeys } from "./redis-keys.ts";
import type { Ownership } from "./redis-ownership.ts";
import { memberPageScript, pruneRoomScript, type Send } from "./redis-scripts.ts";
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

  /** One page, read with memberPageScript: Redis work grows with `limit`, not with the room. */
  async page(room: string, after: string | undefined, limit: number): Promise<MemberPage> {
    const want = Math.max(0, limit);
    const from = after === undefined ? "-" : `(${after}`;
    const keys = [this.d.keys.roomMembers(room), this.d.keys.roomMemberIds(room)];
    const [count, ids, values] = (await memberPageScript.run(this.d.send, keys, [from, want === 0 ? 0 : want + 1])) as [number, string[], unknown[]];
    const users: Member[] = [];
    for (let i = 0; i < Math.min(want, ids.length); i++) {
      const m = parseMemberJson(values[i]);
      if (m) users.push(m);
      else this.d.log.warn("dropped a malformed member entry", { room, sample: String(values[i]).slice(0, 200) });
    }
    const page: MemberPage = { count: Number(count), users };
    if (ids.length > want && users.length > 0) page.next = users[users.length - 1]!.id;
    return page;
  }

  /** HLEN and HGET, pipelined: two commands whatever the room's size. */
  async find(room: string, userId: string): Promise<MemberPage> {
    const key = this.d.keys.roomMembers(room);
    const [count, raw] = await Promise.all([this.d.send("HLEN", [key]), this.d.send("HGET", [key, userId])]);
    const m = raw === null || raw === undefined ? null : parseMemberJson(raw);
    if (raw !== null && raw !== undefined && !m) this.d.log.warn("dropped a malformed member entry", { room, sample: String(raw).slice(0, 200) });
    return { count: Number(count), users: m ? [m] : [] };
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
