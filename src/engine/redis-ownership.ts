// This node's share of the cluster state: its members per room and the names they hold. Redis
// has the cluster-wide view, where a member or name is held by every node that has one of the
// user's connections (a user's tabs can be on several nodes) and goes when the last node lets
// go of it. This in-memory copy is the truth for this node. Every change is
// recorded here first and then written to Redis by one atomic script, and after an outage
// (or after being declared dead while merely cut off) the node writes the copy back
// ("re-assert"). Any node can remove a dead node's share ("reap").
import type { Logger } from "../log.ts";
import type { Member } from "../shared/protocol.ts";
import { memberJson, openLeavesEnvelope, parseMemberJson, presenceEnvelope } from "./redis-envelope.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { claimScript, joinScript, leaveScript, reapScript, releaseScript, type Send } from "./redis-scripts.ts";

export class Ownership {
  /** This node's members per room (a room stays, empty, until the engine drops it). */
  private readonly rooms = new Map<string, Map<string, Member>>();
  /** Names held by this node's members, by name key. */
  private readonly names = new Map<string, Member>();

  constructor(
    private readonly nodeId: string,
    private readonly keys: RedisKeys,
    private readonly send: Send,
    private readonly log: Logger,
  ) {}

  // ---- the local copy ------------------------------------------------------------------------

  hasRoom(room: string): boolean {
    return this.rooms.has(room);
  }

  localRooms(): string[] {
    return [...this.rooms.keys()];
  }

  /** True while the room has local members. */
  isOccupied(room: string): boolean {
    return (this.rooms.get(room)?.size ?? 0) > 0;
  }

  /** Forgets an empty room. */
  dropRoom(room: string): void {
    if (!this.isOccupied(room)) this.rooms.delete(room);
  }

  // ---- members -------------------------------------------------------------------------------

  /** Records a local member; writeJoin() then adds it in Redis. */
  add(room: string, m: Member): void {
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Map()));
    members.set(m.id, m);
  }

  /** Forgets a local member, then removes it in Redis (publishing the leave if it was there). */
  leave(room: string, id: string): Promise<void> {
    this.rooms.get(room)?.delete(id);
    return this.eventually("leave", this.writeLeave(room, id));
  }

  /** Adds a member in Redis, publishing the join if it changed anything. */
  writeJoin(room: string, m: Member): Promise<unknown> {
    const k = this.keys;
    return joinScript.run(
      this.send,
      [k.roomMembers(room), k.nodeRoomMembers(this.nodeId, room), k.nodeRooms(this.nodeId), k.roomRefs(room), k.rooms, k.roomMemberIds(room)],
      [m.id, memberJson(m), room, k.roomChannel(room), presenceEnvelope(this.nodeId, room, [m], [])],
    );
  }

  private writeLeave(room: string, id: string): Promise<unknown> {
    const k = this.keys;
    return leaveScript.run(
      this.send,
      [k.roomMembers(room), k.nodeRoomMembers(this.nodeId, room), k.nodeRooms(this.nodeId), k.roomRefs(room), k.rooms, k.roomMemberIds(room)],
      [id, room, k.roomChannel(room), openLeavesEnvelope(this.nodeId, room)],
    );
  }

  // ---- names ---------------------------------------------------------------------------------

  async claim(key: string, m: Member): Promise<boolean> {
    const ok = await this.writeClaim(key, m);
    if (ok) this.names.set(key, m);
    return ok;
  }

  release(key: string, memberId: string): Promise<void> {
    if (this.names.get(key)?.id === memberId) this.names.delete(key);
    return this.eventually("name release", this.writeRelease(key, memberId));
  }

  /**
   * A removal never fails its caller: the local copy already dropped it, and the re-assert
   * that follows every reconnect removes it from Redis. Failing would be worse: the Hub stops
   * a disconnect at the first failed leave, and the session's name would never be released.
   */
  private eventually(what: string, write: Promise<unknown>): Promise<void> {
    return write.then(
      () => undefined,
      (err: unknown) => this.log.debug(`${what} not written to Redis; the next re-assert removes it`, { error: String((err as Error)?.message ?? err) }),
    );
  }

  lookup(key: string): Promise<Member | null> {
    return this.holder(key);
  }

  /** The member user `userId` is, if it holds a name on any node (checked against the name's holder). */
  async lookupUser(userId: string): Promise<Member | null> {
    const key = await this.send("HGET", [this.keys.userNames, userId]);
    if (typeof key !== "string") return null;
    const m = await this.holder(key);
    return m?.id === userId ? m : null;
  }

  private async holder(key: string): Promise<Member | null> {
    return parseMemberJson(await this.send("HGET", [this.keys.names, key]));
  }

  private async writeClaim(key: string, m: Member): Promise<boolean> {
    const k = this.keys;
    return (await claimScript.run(this.send, [k.names, k.nodeNames(this.nodeId), k.nameRefs, k.userNames], [key, m.id, memberJson(m)])) === 1;
  }

  private writeRelease(key: string, memberId: string): Promise<unknown> {
    const k = this.keys;
    return releaseScript.run(this.send, [k.names, k.nodeNames(this.nodeId), k.nameRefs, k.userNames], [key, memberId]);
  }

  // ---- recovery ------------------------------------------------------------------------------

  /**
   * Writes the local copy back into Redis and removes what Redis holds for this node beyond it
   * (changes that failed during an outage). Each step is an idempotent script, so a change
   * racing with this one still ends in the right state.
   */
  async reassert(): Promise<void> {
    const k = this.keys;
    const inRedis = (await this.send("SMEMBERS", [k.nodeRooms(this.nodeId)])) as string[];
    await Promise.all(
      [...new Set([...inRedis, ...this.rooms.keys()])].map(async (room) => {
        const ids = (await this.send("SMEMBERS", [k.nodeRoomMembers(this.nodeId, room)])) as string[];
        const here = this.rooms.get(room) ?? new Map<string, Member>();
        await Promise.all([...ids.filter((id) => !here.has(id)).map((id) => this.writeLeave(room, id)), ...[...here.values()].map((m) => this.writeJoin(room, m))]);
      }),
    );
    const ownNames = (await this.send("SMEMBERS", [k.nodeNames(this.nodeId)])) as string[];
    await Promise.all([
      ...ownNames.filter((key) => !this.names.has(key)).map(async (key) => this.writeRelease(key, (await this.holder(key))?.id ?? "")),
      ...[...this.names].map(async ([key, m]) => {
        if (!(await this.writeClaim(key, m))) this.log.warn("a name was taken by another node while this one was cut off", { name: m.name, id: m.id });
      }),
    ]);
  }

  /**
   * Removes everything `node` holds in Redis (see reapScript), publishing its members' leaves.
   * `force` skips the check that the node is past its deadline (a node releasing itself).
   * Returns the number of members removed, or -1 when the node was alive or already reaped.
   */
  async reap(node: string, force: boolean): Promise<number> {
    const k = this.keys;
    const rooms = (await this.send("SMEMBERS", [k.nodeRooms(node)])) as string[];
    const keys = [k.nodes, k.nodeRooms(node), k.nodeNames(node), k.names, k.nameRefs];
    const args: string[] = [node, force ? "1" : "0"];
    for (const room of rooms) {
      keys.push(k.nodeRoomMembers(node, room), k.roomMembers(room), k.roomRefs(room), k.roomMemberIds(room));
      // Published as this node's: the reaper is the origin of these leaves (EngineSink.presence).
      args.push(room, k.roomChannel(room), openLeavesEnvelope(this.nodeId, room));
    }
    return Number(await reapScript.run(this.send, keys, args));
  }
}
