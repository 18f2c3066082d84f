// Broker on Redis. A publish is one script (redis-stream-scripts.ts) that checks the SendKey,
// assigns the seq, appends to history and PUBLISHes on the room's channel; a change to a kept
// message (apply) is one script the same way, its event an entry of the same stream. The node's own
// messages come back to it through its subscription, and that echo is its delivery path, not
// something to drop: Redis publishes a room's envelopes in seq order, so delivering the echo
// (instead of a local shortcut) keeps one order on every node. publish() resolves once the
// echo was delivered here, so a sender sees its message before its ack, as with the memory
// engine. control() waits for its own echo the same way, so a node has applied its own
// control message when the call resolves. Signals are one PUBLISH and resolve once Redis took
// them; a direct message is one script (its SendKey checked, both copies PUBLISHed) the same way.
import type { Logger } from "../log.ts";
import type { DirectMessageFrame, MessageFrame, StreamEntry, StreamEvent } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import { IDEMPOTENCY_WINDOW_MS, type Applied, type EventDraft, type Broker, type ControlMessage, type DirectDelivery, type EngineSink, type MessageDraft, type Published, type SendKey } from "./engine.ts";
import type { Channels } from "./redis-channels.ts";
import {
  controlEnvelope, directEnvelope, entryOf, frameOf, openEventEnvelope, openMessageEnvelope, parseEnvelope, parseMessageEnvelope, signalEnvelope, type Envelope, type StreamEnvelope,
} from "./redis-envelope.ts";
import { newEpoch } from "./redis-history.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { directScript, type Send } from "./redis-scripts.ts";
import type { Sequencer } from "./redis-sequencer.ts";
import { applyScript, publishScript } from "./redis-stream-scripts.ts";

export interface BrokerDeps {
  nodeId: string;
  keys: RedisKeys;
  send: Send;
  /** HISTORY_SIZE. */
  historySize: number;
  sequencer: Sequencer;
  channels: Channels;
  /** Where to deliver: the engine's sink while started, null otherwise. */
  sink(): EngineSink | null;
  log: Logger;
}

/** An own publish waiting for its echo. `epoch` and `seq` are unset until the script replied. */
interface Pending {
  room: string;
  epoch: string;
  seq: number;
  settle(): void;
}

type PublishReply = [1, string, number] | [0, string];

export class RedisBroker implements Broker {
  /** Own publishes waiting for their echo, by message id. */
  private readonly pending = new Map<string, Pending>();
  /** Own control messages waiting for their echo, by number. */
  private readonly controls = new Map<number, () => void>();
  private controlsSent = 0;
  /** Changes this node applied (their eids). */
  private events = 0;

  constructor(private readonly d: BrokerDeps) {}

  async publish(room: string, draft: MessageDraft, key?: SendKey): Promise<Published> {
    const { keys: k, sequencer } = this.d;
    // Only a room this node listens to echoes back; elsewhere there is nobody local to wait for.
    let settle = () => {};
    const echoed = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { room, epoch: "", seq: 0, settle };
    if (sequencer.isTracked(room) && this.d.channels.has(k.roomChannel(room))) this.pending.set(draft.id, pending);
    else settle();
    const keys = [k.roomSeq(room), k.roomEpoch(room), k.roomHistory(room), k.roomIds(room), k.roomChanges(room)];
    if (key) keys.push(k.sendKey(key.userId, key.cid));
    const head = openMessageEnvelope(this.d.nodeId, room, draft);
    let reply: PublishReply;
    try {
      reply = (await publishScript.run(this.d.send, keys, [k.roomChannel(room), head, this.d.historySize, newEpoch(), IDEMPOTENCY_WINDOW_MS, draft.id])) as PublishReply;
    } catch (err) {
      if (this.pending.get(draft.id) === pending) this.pending.delete(draft.id);
      throw err;
    }
    if (reply[0] === 0) {
      if (this.pending.get(draft.id) === pending) this.settle(draft.id);
      return { message: this.original(reply[1]), duplicate: true };
    }
    pending.epoch = String(reply[1]);
    pending.seq = Number(reply[2]);
    // Already past it without delivering it (a gap history could not fill): do not wait.
    if (this.pending.has(draft.id) && sequencer.isPast(room, pending.epoch, pending.seq)) this.settle(draft.id);
    await echoed;
    const message: MessageFrame = { type: "message", room, seq: pending.seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
    return { message, duplicate: false };
  }

  /** The message a SendKey published first, from the envelope the publish script kept. */
  private original(raw: string): MessageFrame {
    const r = parseMessageEnvelope(raw);
    if (!r.ok) throw new Error(`the message first sent with this cid is unreadable in Redis (${r.error})`);
    return frameOf(r.envelope);
  }

  /**
   * A change to a kept message: one script checks the message, stores its new state, appends the
   * event and publishes it; like publish(), this resolves once the echo was delivered here.
   */
  async apply(room: string, d: EventDraft): Promise<Applied> {
    const { keys: k, sequencer } = this.d;
    const eid = `${this.d.nodeId}-e${(this.events++).toString(36)}`;
    let settle = () => {};
    const echoed = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { room, epoch: "", seq: 0, settle };
    if (sequencer.isTracked(room) && this.d.channels.has(k.roomChannel(room))) this.pending.set(eid, pending);
    else settle();
    const body = d.type === "edit" ? { type: "edited" as const, id: d.id, text: d.text, ts: d.ts, by: d.by }
      : d.type === "delete" ? { type: "deleted" as const, id: d.id, ts: d.ts, by: d.by }
      : { type: "reaction" as const, id: d.id, emoji: d.emoji, by: d.by, on: d.on };
    const args = [k.roomChannel(room), openEventEnvelope(this.d.nodeId, room, eid, body), this.d.historySize, d.id, d.type, d.by.id,
      d.type === "react" ? d.emoji : "", d.type === "react" && d.on ? 1 : 0, d.type === "edit" ? d.text : "", d.ts];
    let reply: [number, string?, number?];
    try {
      reply = (await applyScript.run(this.d.send, [k.roomSeq(room), k.roomEpoch(room), k.roomHistory(room), k.roomIds(room), k.roomChanges(room)], args)) as typeof reply;
    } catch (err) {
      if (this.pending.get(eid) === pending) this.pending.delete(eid);
      throw err;
    }
    if (Number(reply[0]) !== 1) {
      if (this.pending.get(eid) === pending) this.settle(eid);
      return Number(reply[0]) === 2 ? { ok: true, event: null } : { ok: false, reason: "not_found" };
    }
    pending.epoch = String(reply[1]);
    pending.seq = Number(reply[2]);
    if (this.pending.has(eid) && sequencer.isPast(room, pending.epoch, pending.seq)) this.settle(eid);
    await echoed;
    return { ok: true, event: { ...body, room, seq: pending.seq } as StreamEvent };
  }

  async signal(room: string, data: string): Promise<void> {
    await this.d.send("PUBLISH", [this.d.keys.roomChannel(room), signalEnvelope(this.d.nodeId, room, data)]);
  }

  /** One script: the SendKey checked, both copies PUBLISHed on the direct channel; each node delivers to its own connections. */
  async direct(d: DirectDelivery): Promise<DirectMessageFrame | null> {
    const k = this.d.keys;
    const mine = directEnvelope(this.d.nodeId, d.from, d.mine, d.exceptConn);
    const theirs = d.to === null ? "" : directEnvelope(this.d.nodeId, d.to, d.frame);
    const seen = await directScript.run(this.d.send, d.key ? [k.directKey(d.key.userId, d.key.cid)] : [], [k.directChannel, IDEMPOTENCY_WINDOW_MS, mine, theirs]);
    return typeof seen === "string" ? originalDirect(seen) : null;
  }

  async sentDirect(key: SendKey): Promise<DirectMessageFrame | null> {
    const raw = await this.d.send("GET", [this.d.keys.directKey(key.userId, key.cid)]);
    return typeof raw === "string" ? originalDirect(raw) : null;
  }

  async control(msg: ControlMessage): Promise<void> {
    const n = ++this.controlsSent;
    const echoed = new Promise<void>((resolve) => this.controls.set(n, resolve));
    try {
      await this.d.send("PUBLISH", [this.d.keys.controlChannel, controlEnvelope(this.d.nodeId, n, msg)]);
    } catch (err) {
      this.controls.delete(n);
      throw err;
    }
    await echoed;
  }

  // ---- receiving (the engine routes envelopes here) ------------------------------------------

  /** A message or a change from the room's channel. */
  receiveEntry(e: StreamEnvelope): void {
    const { entry, key } = entryOf(e);
    this.d.sequencer.receive({ msg: entry, key, epoch: e.epoch });
  }

  receiveControl(e: Extract<Envelope, { type: "control" }>): void {
    this.d.sink()?.control(e.msg);
    if (e.node !== this.d.nodeId) return;
    this.controls.get(e.n)?.();
    this.controls.delete(e.n);
  }

  // ---- the sequencer's hooks -----------------------------------------------------------------

  deliver(msg: StreamEntry, key: string): void {
    this.d.sink()?.publishRoom(msg.room, encode(msg));
    if (this.pending.has(key)) this.settle(key);
  }

  skipped(room: string, epoch: string, from: number, to: number): void {
    this.d.log.warn("messages lost to this node: history no longer has them", { room, epoch, from, to });
    for (const [id, p] of this.pending) if (p.room === room && p.epoch === epoch && p.seq >= from && p.seq <= to) this.settle(id);
  }

  /** The room's numbering restarted: own messages of an earlier epoch will not come back. */
  restarted(room: string, epoch: string): void {
    for (const [id, p] of this.pending) if (p.room === room && p.epoch !== "" && p.epoch !== epoch) this.settle(id);
    // Before the new epoch's first message: members must not read its seqs as old ones.
    this.d.sink()?.restarted(room, { epoch, seq: 0 });
  }

  /** The link is down: nothing in flight will echo back (those messages are in history). */
  settleAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id);
    for (const settle of this.controls.values()) settle();
    this.controls.clear();
  }

  private settle(id: string): void {
    this.pending.get(id)?.settle();
    this.pending.delete(id);
  }
}

/** The sender's copy of a direct message, from the envelope the direct script kept for its SendKey. */
function originalDirect(raw: string): DirectMessageFrame {
  const r = parseEnvelope(raw);
  if (r.ok && r.envelope.type === "direct") return r.envelope.frame;
  throw new Error(`the direct message first sent with this cid is unreadable in Redis (${r.ok ? `a ${r.envelope.type} envelope` : r.error})`);
}
