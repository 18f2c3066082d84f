// RedisEngine: the Engine for a cluster of nodes sharing one Redis. Redis holds the shared
// state (per-room seq, epoch and history stream, member lists, names, recent SendKeys, node
// deadlines) and carries the fan-out: one PUBLISH per message per room, whatever the number of
// receivers; each node then writes it to its own sockets with Bun's topic publish.
//
// This file composes the parts and runs the lifecycle (start, recovery after an outage,
// close); it also routes what arrives on the subscription. One concept per file:
//   redis-broker     Broker: publish (and its echo), signals, user frames, control
//   redis-history    HistoryStore: position and pages
//   redis-presence   PresenceStore, and which rooms this node listens to
//   redis-names      NameRegistry
//   redis-keys (every key and channel name), redis-scripts and redis-stream-scripts (the atomic
//   steps), redis-envelope (the wire format between nodes), redis-link (connections,
//   reconnects), redis-channels (what this node subscribes), redis-sequencer (order, gaps,
//   epochs), redis-ownership (this node's members and names), redis-heartbeat (node liveness).
import type { RedisClient } from "bun";
import type { Logger } from "../log.ts";
import { encode } from "../shared/protocol.ts";
import type { Engine, EngineSink } from "./engine.ts";
import { RedisBroker } from "./redis-broker.ts";
import { Channels } from "./redis-channels.ts";
import { parseEnvelope } from "./redis-envelope.ts";
import { Heartbeat } from "./redis-heartbeat.ts";
import { RedisHistory } from "./redis-history.ts";
import { redisKeys, type RedisKeys } from "./redis-keys.ts";
import { RedisLink } from "./redis-link.ts";
import { RedisNames } from "./redis-names.ts";
import { Ownership } from "./redis-ownership.ts";
import { RedisPresence } from "./redis-presence.ts";
import { RedisRoomStates } from "./redis-room-states.ts";
import { Sequencer } from "./redis-sequencer.ts";

export { UNSUBSCRIBE_LINGER_MS } from "./redis-presence.ts";

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

export class RedisEngine implements Engine {
  readonly nodeId: string;
  readonly broker: RedisBroker;
  readonly history: RedisHistory;
  readonly presence: RedisPresence;
  readonly names: RedisNames;
  readonly states: RedisRoomStates;
  private readonly keys: RedisKeys;
  private readonly log: Logger;
  private readonly link: RedisLink;
  private readonly channels: Channels;
  private readonly sequencer: Sequencer;
  private readonly own: Ownership;
  private readonly heartbeat: Heartbeat;
  private sink: EngineSink | null = null;
  private closing: Promise<void> | null = null;

  constructor(opts: RedisEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    const { log } = opts;
    const keys = redisKeys(opts.prefix);
    this.log = log;
    this.keys = keys;
    this.link = new RedisLink(opts.url, { restore: (sub) => this.restore(sub), lost: () => this.lost() }, log);
    const send = this.link.send;
    const permanent = [keys.directChannel, keys.controlChannel, keys.nodeChannel(this.nodeId)];
    this.channels = new Channels((message, channel) => this.onEnvelope(message, channel), permanent, log);
    this.history = new RedisHistory(keys, send, opts.historySize, log);
    this.sequencer = new Sequencer({
      fetch: (room, epoch, since, until) => this.history.range(room, epoch, since, until),
      deliver: (msg, key) => this.broker.deliver(msg, key),
      skipped: (room, epoch, from, to) => this.broker.skipped(room, epoch, from, to),
      restarted: (room, epoch) => this.broker.restarted(room, epoch),
      log,
    });
    this.own = new Ownership(this.nodeId, keys, send, log);
    const { sequencer, channels, own, history } = this;
    this.broker = new RedisBroker({ nodeId: this.nodeId, keys, send, historySize: opts.historySize, sequencer, channels, sink: () => this.sink, log });
    this.presence = new RedisPresence({ keys, send, own, sequencer, channels, history, log });
    this.names = new RedisNames(own);
    this.states = new RedisRoomStates(keys, send);
    this.heartbeat = new Heartbeat({
      nodeId: this.nodeId,
      keys,
      send,
      nodeTtlMs: opts.nodeTtlMs,
      log,
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

  // ---- receiving -----------------------------------------------------------------------------

  /** Routes one envelope from the subscription; drops malformed ones, and ones on the wrong channel, with a log line. */
  private onEnvelope(message: string, channel: string): void {
    const r = parseEnvelope(message);
    if (!r.ok) return this.log.warn("dropped malformed envelope", { channel, error: r.error, sample: message.slice(0, 200) });
    const e = r.envelope;
    const k = this.keys;
    switch (e.type) {
      case "message":
      case "event":
        if (channel !== k.roomChannel(e.room)) break;
        return this.broker.receiveEntry(e);
      case "signal":
        if (channel !== k.roomChannel(e.room)) break;
        return this.sink?.publishRoom(e.room, e.data);
      case "presence":
        if (channel !== k.roomChannel(e.room)) break;
        return this.sink?.presence(e.room, e.joins, e.leaves, e.node);
      case "direct":
        if (channel !== k.directChannel) break;
        return this.sink?.sendToUser(e.to, encode(e.frame), e.except);
      case "control":
        if (channel !== k.controlChannel) break;
        return this.broker.receiveControl(e);
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

  // ---- recovery and shutdown -----------------------------------------------------------------

  /** The link is down: nothing in flight will echo back (those messages are in history). */
  private lost(): void {
    this.channels.detach();
    this.broker.settleAll();
  }

  /**
   * Runs on every new subscriber connection, the first one included: subscribe everything,
   * deliver what each room missed meanwhile (from a new epoch if Redis lost its data), then
   * write this node's share of the state back and reap the nodes that died meanwhile.
   */
  private async restore(sub: RedisClient): Promise<void> {
    // A room joined during the outage could neither read its position nor subscribe: do both now.
    await this.presence.retrack();
    await this.channels.attach(sub);
    this.heartbeat.reset();
    await Promise.all(this.sequencer.tracked().map((room) => this.sequencer.catchUp(room)));
    const { dead } = await this.heartbeat.beat();
    await this.own.reassert();
    await this.heartbeat.reapAll(dead);
  }

  /** Stops the heartbeat, releases this node's users and names in Redis, and disconnects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.heartbeat.stop();
      this.presence.close();
      this.broker.settleAll();
      if (this.link.up) {
        await this.own.reap(this.nodeId, true).catch((err) => this.log.warn("could not release this node's state in Redis", { error: String(err) }));
      }
      this.link.close();
      this.sink = null;
    })();
    return this.closing;
  }
}
