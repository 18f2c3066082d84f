// RedisEngine: the Engine for a cluster of nodes sharing one Redis. Redis holds the shared
// state (per-room seq, history stream, member lists, names, node deadlines) and carries the
// fan-out: one PUBLISH per message per room, whatever the number of receivers; each node then
// writes it to its own sockets with Bun's topic publish.
//
// A node's own messages and presence come back to it through its subscription, and that echo
// is its delivery path, not something to drop: Redis publishes a room's envelopes in seq order,
// so delivering the echo (instead of a local shortcut) keeps one order on every node. The
// sequencer (redis-sequencer.ts) checks that order and fills gaps from history after an
// interruption. publish() resolves once the echo was delivered here, so a sender sees its
// message before its ack, as with the memory engine.
//
// Each node keeps its own share of the cluster state (its members per room, its names) in
// memory. That copy is the truth for this node: after a reconnect, or after being declared
// dead while it was merely cut off, the node writes it back into Redis ("re-assert").
import type { RedisClient } from "bun";
import type { Logger } from "../log.ts";
import { Member as MemberSchema } from "../protocol.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../protocol.ts";
import { encode } from "../protocol.ts";
import { roomTopic, userTopic } from "../topics.ts";
import type { Engine, EngineSink, MessageDraft, RoomSnapshot } from "./engine.ts";
import { Channels } from "./redis-channels.ts";
import {
  directEnvelope, frameOf, memberJson, openLeavesEnvelope, openMessageEnvelope, parseEnvelope, pingEnvelope, presenceEnvelope,
} from "./redis-envelope.ts";
import { redisKeys, type RedisKeys } from "./redis-keys.ts";
import { RedisLink } from "./redis-link.ts";
import {
  beatScript, claimScript, joinScript, leaveScript, publishScript, raiseSeqScript, reapScript, releaseScript, snapshotScript,
} from "./redis-scripts.ts";
import { Sequencer } from "./redis-sequencer.ts";

/**
 * A node's heartbeat runs every NODE_TTL_MS / BEATS_PER_TTL and pushes its deadline to
 * ALIVE_BEATS beats ahead, so one or two late beats do not kill it. Every beat also reaps
 * nodes past their deadline, so a dead node's users are gone at most
 * (ALIVE_BEATS + 1) / BEATS_PER_TTL of the TTL after its last beat: within the TTL.
 */
export const BEATS_PER_TTL = 5;
export const ALIVE_BEATS = 3;
/** After a room's last local member leaves, the node stays subscribed this long (a rename is a leave then a join). */
export const UNSUBSCRIBE_LINGER_MS = 1000;
/**
 * Every beat also publishes a ping to this node's own channel, which proves both connections
 * work end to end (command → Redis → subscription). A ping unanswered for two beats, and at
 * least this long, means Redis or the subscription went silent: the link is reset.
 */
export const SILENT_MIN_MS = 1000;

export interface RedisEngineOptions {
  /** REDIS_URL. */
  url: string;
  /** HUBBUB_PREFIX: every key and channel starts with it. */
  prefix: string;
  /** Messages kept per room (HISTORY_SIZE). */
  historySize: number;
  /** NODE_TTL_MS: a node silent this long counts as dead. */
  nodeTtlMs: number;
  log: Logger;
  /** Node id; random when absent. */
  nodeId?: string;
}

/** An own publish waiting for its echo. `seq` is 0 until the script replied. */
interface Pending {
  room: string;
  seq: number;
  settle(): void;
}

const Holder = MemberSchema.extend({ node: MemberSchema.shape.id });

export class RedisEngine implements Engine {
  readonly nodeId: string;
  private readonly keys: RedisKeys;
  private readonly link: RedisLink;
  private readonly channels: Channels;
  private readonly sequencer: Sequencer;
  private readonly log: Logger;
  /** This node's members per room: what it owns in Redis and re-asserts after an outage. */
  private readonly local = new Map<string, Map<string, Member>>();
  /** Names held by this node's members, by name key. */
  private readonly names = new Map<string, Member>();
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly pending = new Map<string, Pending>();
  private sink: EngineSink | null = null;
  private beatTimer: ReturnType<typeof setInterval> | null = null;
  private beating = false;
  private pingsSent = 0;
  private pingsSeen = 0;
  private pingSentAt = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: RedisEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    this.log = opts.log;
    this.keys = redisKeys(opts.prefix);
    this.channels = new Channels((message, channel) => this.onEnvelope(message, channel), [this.keys.directChannel, this.keys.nodeChannel(this.nodeId)]);
    this.sequencer = new Sequencer({
      fetch: (room, since, until) => this.range(room, since, until),
      deliver: (msg) => this.deliver(msg),
      skipped: (room, from, to) => this.skipped(room, from, to),
      log: opts.log,
    });
    this.link = new RedisLink(opts.url, { restore: (sub) => this.restore(sub), lost: (why) => this.lost(why) }, opts.log);
  }

  get ready(): boolean {
    return this.link.up && this.closing === null;
  }

  /** Redis commands sent so far (a script counts as one): Redis round-trips per message for benchmarks. */
  get commandsSent(): number {
    return this.link.commands;
  }

  private get send() {
    return this.link.send;
  }

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
    await this.link.start();
    const beatMs = Math.max(1, Math.floor(this.opts.nodeTtlMs / BEATS_PER_TTL));
    this.beatTimer = setInterval(() => void this.tick(), beatMs);
  }

  // ---- messages ------------------------------------------------------------------------------

  async publish(room: string, draft: MessageDraft): Promise<MessageFrame> {
    // Only a room this node listens to echoes back; elsewhere there is nobody local to wait for.
    let settle = () => {};
    const echoed = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { room, seq: 0, settle };
    if (this.sequencer.isTracked(room) && this.channels.has(this.keys.roomChannel(room))) this.pending.set(draft.id, pending);
    else settle();
    let seq: number;
    try {
      const k = this.keys;
      const head = openMessageEnvelope(this.nodeId, room, draft);
      seq = Number(await publishScript.run(this.send, [k.roomSeq(room), k.roomHistory(room)], [k.roomChannel(room), head, this.opts.historySize, this.sequencer.last(room)]));
    } catch (err) {
      this.pending.delete(draft.id);
      throw err;
    }
    pending.seq = seq;
    // Already past it without delivering it (a gap history could not fill): do not wait.
    if (this.pending.has(draft.id) && seq <= this.sequencer.last(room)) this.settle(draft.id);
    await echoed;
    return { type: "message", room, seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
  }

  async history(room: string, since?: number, limit?: number): Promise<MessageFrame[]> {
    const n = Math.min(limit ?? this.opts.historySize, this.opts.historySize);
    if (n <= 0) return [];
    const min = since === undefined ? "-" : String(since + 1);
    const entries = await this.send("XREVRANGE", [this.keys.roomHistory(room), "+", min, "COUNT", String(n)]);
    return this.framesOf(entries).reverse();
  }

  /** Kept messages of `room` with since < seq <= until (open-ended without `until`), oldest first. */
  private async range(room: string, since: number, until?: number): Promise<MessageFrame[]> {
    if (this.opts.historySize <= 0 || (until !== undefined && until <= since)) return [];
    const max = until === undefined ? "+" : String(until);
    return this.framesOf(await this.send("XRANGE", [this.keys.roomHistory(room), String(since + 1), max, "COUNT", String(this.opts.historySize)]));
  }

  /** Stream entries ([id, ["e", envelope]]) to frames; a malformed entry is logged and skipped. */
  private framesOf(entries: unknown): MessageFrame[] {
    const out: MessageFrame[] = [];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const raw = Array.isArray(entry) && Array.isArray(entry[1]) ? entry[1][1] : undefined;
      const r = typeof raw === "string" ? parseEnvelope(raw) : { ok: false as const, error: "not a history entry" };
      if (r.ok && r.envelope.type === "message") out.push(frameOf(r.envelope));
      else this.log.warn("dropped malformed history entry", { error: r.ok ? `type ${r.envelope.type}` : r.error });
    }
    return out;
  }

  // ---- presence ------------------------------------------------------------------------------

  async snapshot(room: string): Promise<RoomSnapshot> {
    const k = this.keys;
    const [seq, values] = (await snapshotScript.run(this.send, [k.roomSeq(room), k.roomMembers(room)], [])) as [number, string[]];
    return { seq: Number(seq), users: values.flatMap((v) => parseJson(MemberSchema, v) ?? []) };
  }

  async join(room: string, member: Member): Promise<void> {
    let members = this.local.get(room);
    if (!members) this.local.set(room, (members = new Map()));
    members.set(member.id, member);
    await this.watch(room);
    await this.writeJoin(room, member);
  }

  async leave(room: string, member: Member): Promise<void> {
    const members = this.local.get(room);
    if (members?.delete(member.id) && members.size === 0) this.unwatchLater(room);
    await this.writeLeave(room, member.id);
  }

  private writeJoin(room: string, m: Member): Promise<unknown> {
    const k = this.keys;
    return joinScript.run(
      this.send,
      [k.roomMembers(room), k.nodeRoomMembers(this.nodeId, room), k.nodeRooms(this.nodeId)],
      [m.id, memberJson(m), room, k.roomChannel(room), presenceEnvelope(this.nodeId, room, [m], [])],
    );
  }

  private writeLeave(room: string, id: string): Promise<unknown> {
    const k = this.keys;
    return leaveScript.run(
      this.send,
      [k.roomMembers(room), k.nodeRoomMembers(this.nodeId, room), k.nodeRooms(this.nodeId)],
      [id, room, k.roomChannel(room), openLeavesEnvelope(this.nodeId, room)],
    );
  }

  /**
   * Listens to a room: reads its seq first, then subscribes, so every message published after
   * the subscription has a greater seq and the sequencer can tell a gap from a duplicate.
   */
  private async watch(room: string): Promise<void> {
    const linger = this.lingering.get(room);
    if (linger) clearTimeout(linger);
    this.lingering.delete(room);
    if (!this.sequencer.isTracked(room)) await this.track(room);
    await this.channels.add(this.keys.roomChannel(room));
  }

  private async track(room: string): Promise<void> {
    this.sequencer.track(room, Number((await this.send("GET", [this.keys.roomSeq(room)])) ?? 0));
  }

  private unwatchLater(room: string): void {
    if (this.lingering.has(room)) return;
    const timer = setTimeout(() => {
      this.lingering.delete(room);
      if (this.local.get(room)?.size) return;
      this.local.delete(room);
      this.sequencer.untrack(room);
      this.channels.remove(this.keys.roomChannel(room));
    }, UNSUBSCRIBE_LINGER_MS);
    this.lingering.set(room, timer);
  }

  // ---- names ---------------------------------------------------------------------------------

  async claimName(key: string, member: Member): Promise<boolean> {
    const ok = await this.writeClaim(key, member);
    if (ok) this.names.set(key, member);
    return ok;
  }

  private async writeClaim(key: string, m: Member): Promise<boolean> {
    const holder = JSON.stringify({ id: m.id, name: m.name, node: this.nodeId });
    return (await claimScript.run(this.send, [this.keys.names, this.keys.nodeNames(this.nodeId)], [key, m.id, holder])) === 1;
  }

  async releaseName(key: string, memberId: string): Promise<void> {
    if (this.names.get(key)?.id === memberId) this.names.delete(key);
    await releaseScript.run(this.send, [this.keys.names, this.keys.nodeNames(this.nodeId)], [key, memberId]);
  }

  async lookupName(key: string): Promise<Member | null> {
    const holder = parseJson(Holder, await this.send("HGET", [this.keys.names, key]));
    return holder && { id: holder.id, name: holder.name };
  }

  // ---- direct messages -----------------------------------------------------------------------

  async sendDirect(toId: string, frame: DirectMessageFrame): Promise<void> {
    await this.send("PUBLISH", [this.keys.directChannel, directEnvelope(this.nodeId, toId, frame)]);
  }

  // ---- receiving -----------------------------------------------------------------------------

  private onEnvelope(message: string, channel: string): void {
    const r = parseEnvelope(message);
    if (!r.ok) return this.log.warn("dropped malformed envelope", { channel, error: r.error, sample: message.slice(0, 200) });
    const e = r.envelope;
    const k = this.keys;
    switch (e.type) {
      case "message":
        if (channel !== k.roomChannel(e.room)) break;
        return this.sequencer.receive(frameOf(e));
      case "presence":
        if (channel !== k.roomChannel(e.room)) break;
        return this.sink?.presence(e.room, e.joins, e.leaves);
      case "direct":
        if (channel !== k.directChannel) break;
        return this.sink?.publishLocal(userTopic(e.to), encode(e.frame));
      case "ping":
        if (channel !== k.nodeChannel(this.nodeId) || e.node !== this.nodeId) break;
        this.pingsSeen = Math.max(this.pingsSeen, e.n);
        return;
      default: {
        const never: never = e;
        return never;
      }
    }
    this.log.warn("dropped envelope on the wrong channel", { channel, type: e.type, node: e.node });
  }

  private deliver(msg: MessageFrame): void {
    this.sink?.publishLocal(roomTopic(msg.room), encode(msg));
    if (this.pending.has(msg.id)) this.settle(msg.id);
  }

  private skipped(room: string, from: number, to: number): void {
    this.log.warn("messages lost to this node: history no longer has them", { room, from, to });
    for (const [id, p] of this.pending) if (p.room === room && p.seq >= from && p.seq <= to) this.settle(id);
  }

  private settle(id: string): void {
    this.pending.get(id)?.settle();
    this.pending.delete(id);
  }

  private settleAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id);
  }

  // ---- liveness and recovery -----------------------------------------------------------------

  /** The link is down: nothing in flight will echo back (those messages are in history). */
  private lost(_reason: string): void {
    this.channels.detach();
    this.settleAll();
  }

  /**
   * Runs on every new subscriber connection (the first one included): subscribe everything,
   * deliver what each room missed meanwhile, then write this node's share of the state back.
   */
  private async restore(sub: RedisClient): Promise<void> {
    // A room joined during the outage could not read its seq or subscribe: do both now.
    const untracked = [...this.local.keys()].filter((room) => !this.sequencer.isTracked(room));
    await Promise.all(untracked.map((room) => this.track(room)));
    for (const room of untracked) this.channels.want(this.keys.roomChannel(room));
    await this.channels.attach(sub);
    this.pingsSent = this.pingsSeen = 0;
    const rooms = this.sequencer.tracked();
    // If Redis lost its data, its seqs restart: lift each room's above what this node delivered.
    await Promise.all(rooms.map((room) => raiseSeqScript.run(this.send, [this.keys.roomSeq(room)], [this.sequencer.last(room)])));
    await Promise.all(rooms.map((room) => this.sequencer.catchUp(room)));
    const { dead } = await this.beat();
    await this.reassert();
    await this.reapAll(dead);
  }

  private async tick(): Promise<void> {
    if (!this.link.up || this.closing) return;
    // The health check runs even while an earlier beat is stuck: that is when it matters.
    const now = Date.now();
    if (this.pingsSeen < this.pingsSent) {
      const silentMs = Math.max(SILENT_MIN_MS, (2 * this.opts.nodeTtlMs) / BEATS_PER_TTL);
      if (now - this.pingSentAt > silentMs) return this.link.fail("Redis or the subscription stopped answering");
    } else {
      this.pingSentAt = now;
      this.send("PUBLISH", [this.keys.nodeChannel(this.nodeId), pingEnvelope(this.nodeId, ++this.pingsSent)]).catch(() => undefined);
    }
    if (this.beating) return;
    this.beating = true;
    try {
      const { fresh, dead } = await this.beat();
      if (fresh) {
        this.log.warn("this node was not registered in Redis (declared dead, or Redis lost its data): re-asserting its users and names");
        await this.reassert();
      }
      await this.reapAll(dead);
    } catch (err) {
      this.log.debug("heartbeat failed", { error: String((err as Error)?.message ?? err) });
    } finally {
      this.beating = false;
    }
  }

  /** Pushes this node's deadline; returns whether it was unregistered, and the dead nodes. */
  private async beat(): Promise<{ fresh: boolean; dead: string[] }> {
    const aliveMs = Math.ceil((this.opts.nodeTtlMs * ALIVE_BEATS) / BEATS_PER_TTL);
    const [fresh, dead] = (await beatScript.run(this.send, [this.keys.nodes], [this.nodeId, aliveMs])) as [number, string[]];
    return { fresh: fresh === 1, dead: dead.filter((n) => n !== this.nodeId) };
  }

  private async reapAll(nodes: string[]): Promise<void> {
    for (const node of nodes) {
      const removed = await this.reap(node, false);
      if (removed >= 0) this.log.info("reaped a dead node", { node, users: removed });
    }
  }

  /** Removes everything `node` holds in Redis (see reapScript); `force` skips the liveness check. */
  private async reap(node: string, force: boolean): Promise<number> {
    const k = this.keys;
    const rooms = (await this.send("SMEMBERS", [k.nodeRooms(node)])) as string[];
    const keys = [k.nodes, k.nodeRooms(node), k.nodeNames(node), k.names];
    const args: string[] = [node, force ? "1" : "0"];
    for (const room of rooms) {
      keys.push(k.nodeRoomMembers(node, room), k.roomMembers(room));
      args.push(room, k.roomChannel(room), openLeavesEnvelope(node, room));
    }
    return Number(await reapScript.run(this.send, keys, args));
  }

  /**
   * Writes this node's members and names back into Redis and removes what Redis holds for it
   * beyond them (changes that failed during an outage). Each step is an idempotent script, so
   * a change racing with this one still ends in the right state.
   */
  private async reassert(): Promise<void> {
    const k = this.keys;
    const ownRooms = (await this.send("SMEMBERS", [k.nodeRooms(this.nodeId)])) as string[];
    const rooms = new Set([...ownRooms, ...this.local.keys()]);
    await Promise.all(
      [...rooms].map(async (room) => {
        const inRedis = (await this.send("SMEMBERS", [k.nodeRoomMembers(this.nodeId, room)])) as string[];
        const here = this.local.get(room);
        await Promise.all([
          ...inRedis.filter((id) => !here?.has(id)).map((id) => this.writeLeave(room, id)),
          ...[...(here?.values() ?? [])].map((m) => this.writeJoin(room, m)),
        ]);
      }),
    );
    const ownNames = (await this.send("SMEMBERS", [k.nodeNames(this.nodeId)])) as string[];
    await Promise.all([
      ...ownNames.filter((key) => !this.names.has(key)).map(async (key) => {
        const holder = parseJson(Holder, await this.send("HGET", [k.names, key]));
        if (holder?.node === this.nodeId) await releaseScript.run(this.send, [k.names, k.nodeNames(this.nodeId)], [key, holder.id]);
      }),
      ...[...this.names].map(async ([key, m]) => {
        if (!(await this.writeClaim(key, m))) this.log.warn("a name was taken by another node while this one was cut off", { name: m.name, id: m.id });
      }),
    ]);
  }

  // ---- shutdown ------------------------------------------------------------------------------

  /** Stops the heartbeat, releases this node's users and names in Redis, and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.beatTimer) clearInterval(this.beatTimer);
      for (const t of this.lingering.values()) clearTimeout(t);
      this.lingering.clear();
      this.settleAll();
      if (this.link.up) {
        await this.reap(this.nodeId, true).catch((err) => this.log.warn("could not release this node's state in Redis", { error: String(err) }));
      }
      this.link.close();
      this.sink = null;
    })();
    return this.closing;
  }
}

/** Parses a JSON string Redis returned against a schema; null when absent or malformed. */
function parseJson<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, raw: unknown): T | null {
  if (typeof raw !== "string") return null;
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
