// RedisEngine: the Engine for a cluster of nodes sharing one Redis. Redis holds the shared
// state (per-room seq, history stream, member lists, names, node deadlines) and carries the
// fan-out: one PUBLISH per message per room, whatever the number of receivers; each node then
// writes it to its own sockets with Bun's topic publish.
//
// A node's own messages and presence come back to it through its subscription, and that echo
// is its delivery path, not something to drop: Redis publishes a room's envelopes in seq order,
// so delivering the echo (instead of a local shortcut) keeps one order on every node. The
// sequencer checks that order and fills gaps from history after an interruption. publish()
// resolves once the echo was delivered here, so a sender sees its message before its ack, as
// with the memory engine.
//
// The parts, one concept per file: redis-keys (every key and channel name), redis-scripts (the
// atomic steps), redis-envelope (the wire format between nodes), redis-link (connections,
// reconnects), redis-channels (what this node subscribes), redis-sequencer (order, gaps),
// redis-ownership (this node's members and names), redis-heartbeat (node liveness, health).
import type { RedisClient } from "bun";
import type { Logger } from "../log.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import type { Engine, EngineSink, MessageDraft, RoomSnapshot } from "./engine.ts";
import { Channels } from "./redis-channels.ts";
import { directEnvelope, frameOf, openMessageEnvelope, parseEnvelope } from "./redis-envelope.ts";
import { Heartbeat } from "./redis-heartbeat.ts";
import { redisKeys, type RedisKeys } from "./redis-keys.ts";
import { RedisLink } from "./redis-link.ts";
import { Ownership } from "./redis-ownership.ts";
import { publishScript, raiseSeqScript } from "./redis-scripts.ts";
import { Sequencer } from "./redis-sequencer.ts";

/** After a room's last local member leaves, the node stays subscribed this long (a rename is a leave then a join). */
export const UNSUBSCRIBE_LINGER_MS = 1000;

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

export class RedisEngine implements Engine {
  readonly nodeId: string;
  private readonly keys: RedisKeys;
  private readonly log: Logger;
  private readonly link: RedisLink;
  private readonly channels: Channels;
  private readonly sequencer: Sequencer;
  private readonly own: Ownership;
  private readonly heartbeat: Heartbeat;
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly pending = new Map<string, Pending>();
  private sink: EngineSink | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: RedisEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    this.log = opts.log;
    this.keys = redisKeys(opts.prefix);
    this.link = new RedisLink(opts.url, { restore: (sub) => this.restore(sub), lost: () => this.lost() }, opts.log);
    const send = this.link.send;
    this.channels = new Channels((message, channel) => this.onEnvelope(message, channel), [this.keys.directChannel, this.keys.nodeChannel(this.nodeId)], opts.log);
    this.sequencer = new Sequencer({
      fetch: (room, since, until) => this.range(room, since, until),
      deliver: (msg) => this.deliver(msg),
      skipped: (room, from, to) => this.skipped(room, from, to),
      log: opts.log,
    });
    this.own = new Ownership(this.nodeId, this.keys, send, opts.log);
    this.heartbeat = new Heartbeat({
      nodeId: this.nodeId,
      keys: this.keys,
      send,
      nodeTtlMs: opts.nodeTtlMs,
      log: opts.log,
      isUp: () => this.link.up && !this.closing,
      fail: (reason) => this.link.fail(reason),
      reassert: () => this.own.reassert(),
      reap: (node) => this.own.reap(node, false),
    });
  }

  get ready(): boolean {
    return this.link.up && this.closing === null;
  }

  /** Redis commands sent so far (a script counts as one): Redis round-trips per message for benchmarks. */
  get commandsSent(): number {
    return this.link.commands;
  }

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
    await this.link.start();
    this.heartbeat.start();
  }

  // ---- messages ------------------------------------------------------------------------------

  async publish(room: string, draft: MessageDraft): Promise<MessageFrame> {
    // Only a room this node listens to echoes back; elsewhere there is nobody local to wait for.
    let settle = () => {};
    const echoed = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { room, seq: 0, settle };
    if (this.sequencer.isTracked(room) && this.channels.has(this.keys.roomChannel(room))) this.pending.set(draft.id, pending);
    else settle();
    const k = this.keys;
    const head = openMessageEnvelope(this.nodeId, room, draft);
    try {
      pending.seq = Number(await publishScript.run(this.link.send, [k.roomSeq(room), k.roomHistory(room)], [k.roomChannel(room), head, this.opts.historySize, this.sequencer.last(room)]));
    } catch (err) {
      this.pending.delete(draft.id);
      throw err;
    }
    // Already past it without delivering it (a gap history could not fill): do not wait.
    if (this.pending.has(draft.id) && pending.seq <= this.sequencer.last(room)) this.settle(draft.id);
    await echoed;
    return { type: "message", room, seq: pending.seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
  }

  async history(room: string, since?: number, limit?: number): Promise<MessageFrame[]> {
    const n = Math.min(limit ?? this.opts.historySize, this.opts.historySize);
    if (n <= 0) return [];
    const min = since === undefined ? "-" : String(since + 1);
    return this.framesOf(await this.link.send("XREVRANGE", [this.keys.roomHistory(room), "+", min, "COUNT", String(n)])).reverse();
  }

  /** Kept messages of `room` with since < seq <= until (open-ended without `until`), oldest first. */
  private async range(room: string, since: number, until?: number): Promise<MessageFrame[]> {
    if (this.opts.historySize <= 0 || (until !== undefined && until <= since)) return [];
    const max = until === undefined ? "+" : String(until);
    return this.framesOf(await this.link.send("XRANGE", [this.keys.roomHistory(room), String(since + 1), max, "COUNT", String(this.opts.historySize)]));
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

  // ---- rooms and presence --------------------------------------------------------------------

  snapshot(room: string): Promise<RoomSnapshot> {
    return this.own.snapshot(room);
  }

  async join(room: string, member: Member): Promise<void> {
    const linger = this.lingering.get(room);
    if (linger) clearTimeout(linger);
    this.lingering.delete(room);
    // Recorded first, so a recovery meanwhile restores it; written once subscribed, so this
    // node hears every change after its own join.
    this.own.add(room, member);
    if (!this.sequencer.isTracked(room)) await this.track(room);
    await this.channels.add(this.keys.roomChannel(room));
    await this.own.writeJoin(room, member);
  }

  async leave(room: string, member: Member): Promise<void> {
    const written = this.own.leave(room, member.id);
    if (this.own.hasRoom(room) && !this.own.isOccupied(room)) this.unwatchLater(room);
    await written;
  }

  /**
   * Starts ordering a room after its current seq. Read before subscribing, so every message
   * published after the subscription has a greater seq and a gap can be told from a repeat.
   */
  private async track(room: string): Promise<void> {
    this.sequencer.track(room, Number((await this.link.send("GET", [this.keys.roomSeq(room)])) ?? 0));
  }

  private unwatchLater(room: string): void {
    if (this.lingering.has(room)) return;
    const timer = setTimeout(() => {
      this.lingering.delete(room);
      if (this.own.isOccupied(room)) return;
      this.own.dropRoom(room);
      this.sequencer.untrack(room);
      this.channels.remove(this.keys.roomChannel(room));
    }, UNSUBSCRIBE_LINGER_MS);
    this.lingering.set(room, timer);
  }

  // ---- names and direct messages -------------------------------------------------------------

  claimName(key: string, member: Member): Promise<boolean> {
    return this.own.claim(key, member);
  }

  releaseName(key: string, memberId: string): Promise<void> {
    return this.own.release(key, memberId);
  }

  lookupName(key: string): Promise<Member | null> {
    return this.own.lookup(key);
  }

  /** One PUBLISH on the cluster's direct channel; each node delivers to its own connections of `toId`. */
  async sendDirect(toId: string, frame: DirectMessageFrame): Promise<void> {
    await this.link.send("PUBLISH", [this.keys.directChannel, directEnvelope(this.nodeId, toId, frame)]);
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
        return this.sink?.sendToUser(e.to, encode(e.frame));
      case "ping":
        if (channel !== k.nodeChannel(this.nodeId) || e.node !== this.nodeId) break;
        return this.heartbeat.pong(e.n);
      default: {
        const never: never = e;
        return never;
      }
    }
    this.log.warn("dropped envelope on the wrong channel", { channel, type: e.type, node: e.node });
  }

  private deliver(msg: MessageFrame): void {
    this.sink?.publishRoom(msg.room, encode(msg));
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

  // ---- recovery and shutdown -----------------------------------------------------------------

  /** The link is down: nothing in flight will echo back (those messages are in history). */
  private lost(): void {
    this.channels.detach();
    this.settleAll();
  }

  /**
   * Runs on every new subscriber connection, the first one included: subscribe everything,
   * deliver what each room missed meanwhile, then write this node's share of the state back
   * and reap the nodes that died meanwhile.
   */
  private async restore(sub: RedisClient): Promise<void> {
    // A room joined during the outage could neither read its seq nor subscribe: do both now.
    const untracked = this.own.localRooms().filter((room) => !this.sequencer.isTracked(room));
    await Promise.all(untracked.map((room) => this.track(room)));
    for (const room of untracked) this.channels.want(this.keys.roomChannel(room));
    await this.channels.attach(sub);
    this.heartbeat.reset();
    const rooms = this.sequencer.tracked();
    // If Redis lost its data its seqs restart: lift each room's above what this node delivered.
    await Promise.all(rooms.map((room) => raiseSeqScript.run(this.link.send, [this.keys.roomSeq(room)], [this.sequencer.last(room)])));
    await Promise.all(rooms.map((room) => this.sequencer.catchUp(room)));
    const { dead } = await this.heartbeat.beat();
    await this.own.reassert();
    await this.heartbeat.reapAll(dead);
  }

  /** Stops the heartbeat, releases this node's users and names in Redis, and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.heartbeat.stop();
      for (const t of this.lingering.values()) clearTimeout(t);
      this.lingering.clear();
      this.settleAll();
      if (this.link.up) {
        await this.own.reap(this.nodeId, true).catch((err) => this.log.warn("could not release this node's state in Redis", { error: String(err) }));
      }
      this.link.close();
      this.sink = null;
    })();
    return this.closing;
  }
}
