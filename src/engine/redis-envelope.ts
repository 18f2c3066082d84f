// Cross-node envelopes: what travels on the cluster's Redis channels (and, for messages, what
// the history stream stores). Every envelope carries the format version, the origin node id
// and a `type` tag. parseEnvelope() validates once at the boundary and never throws; a
// receiver drops what fails it with a log line.
//
// Two envelopes are finished inside a Lua script, which is why they are built as an "open"
// JSON prefix here: a message's epoch and seq are only known inside the script that assigns
// them (the script appends `"<epoch>","seq":<seq>}`), and a presence leave is built from the
// member JSON Redis holds (the script appends `<member>,<member>]}`). Everything else is plain
// JSON.stringify.
import { z } from "zod";
import type { DirectMessageFrame, Member, MessageFrame, StreamEntry, StreamEvent } from "../shared/protocol.ts";
import { DirectMessageFrame as DirectSchema, Member as MemberSchema, MessageFrame as MessageSchema } from "../shared/protocol.ts";
import type { ControlMessage, MessageDraft } from "./engine.ts";
import { RoomStateSchema } from "../room-states.ts";

/** 2: messages carry their room's epoch; signal and control envelopes; `except` on direct. */
export const ENVELOPE_VERSION = 2;

const Base = { v: z.literal(ENVELOPE_VERSION), node: z.string().min(1).max(64) };
const Draft = MessageSchema.omit({ type: true, room: true, seq: true });

const MessageEnvelope = z.object({
  ...Base,
  type: z.literal("message"),
  room: z.string(),
  draft: Draft,
  epoch: z.string().min(1).max(64),
  seq: z.number().int().min(1).safe(),
});
/** A change's fields as stored (the frame without room and seq). */
const EventBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("edited"), id: z.string(), text: z.string(), ts: z.number(), by: MemberSchema }),
  z.object({ type: z.literal("deleted"), id: z.string(), ts: z.number(), by: MemberSchema }),
  z.object({ type: z.literal("reaction"), id: z.string(), emoji: z.string(), by: MemberSchema, on: z.boolean() }),
]);
/** A change to a kept message, as a message is: in the history stream and on the room channel. `eid` is unique (the sender's echo). */
const EventEnvelope = z.object({
  ...Base,
  type: z.literal("event"),
  room: z.string(),
  eid: z.string(),
  event: EventBody,
  epoch: z.string().min(1).max(64),
  seq: z.number().int().min(1).safe(),
});
const PresenceEnvelope = z.object({ ...Base, type: z.literal("presence"), room: z.string(), joins: z.array(MemberSchema), leaves: z.array(MemberSchema) });
/** An unsequenced, unstored frame for a room's members (already encoded by the sending node). */
const SignalEnvelope = z.object({ ...Base, type: z.literal("signal"), room: z.string(), data: z.string() });
/** A frame for every connection of user `to`, but connection `except`. */
const DirectEnvelope = z.object({ ...Base, type: z.literal("direct"), to: z.string(), except: z.string().optional(), frame: DirectSchema });
const ControlSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("renamed"), userId: z.string(), name: z.string() }),
  z.object({ type: z.literal("disconnect"), userId: z.string(), reason: z.string() }),
  z.object({ type: z.literal("read"), userId: z.string(), room: z.string(), seq: z.number().int().min(0).safe(), exceptConn: z.string() }),
  z.object({ type: z.literal("room"), room: z.string(), state: RoomStateSchema }),
  z.object({ type: z.literal("removed"), userId: z.string(), room: z.string(), reason: z.enum(["kicked", "banned"]), by: MemberSchema }),
  z.object({ type: z.literal("invited"), userId: z.string(), room: z.string(), by: MemberSchema }),
]) satisfies z.ZodType<ControlMessage>;
/** A control message; `n` numbers the sender's control messages, so it knows its own echo. */
const ControlEnvelope = z.object({ ...Base, type: z.literal("control"), n: z.number().int().min(0), msg: ControlSchema });
/** A node's health-check ping to itself: proves its subscription still delivers. */
const PingEnvelope = z.object({ ...Base, type: z.literal("ping"), n: z.number().int().min(0) });

const Envelope = z.discriminatedUnion("type", [MessageEnvelope, EventEnvelope, PresenceEnvelope, SignalEnvelope, DirectEnvelope, ControlEnvelope, PingEnvelope]);
export type Envelope = z.infer<typeof Envelope>;
export type MessageEnvelope = z.infer<typeof MessageEnvelope>;
export type EventEnvelope = z.infer<typeof EventEnvelope>;
/** What a room's stream holds: a message or a change to one. */
export type StreamEnvelope = MessageEnvelope | EventEnvelope;

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; error: string };

/** Parses one envelope from the wire. Never throws. */
export function parseEnvelope(raw: string): EnvelopeResult {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: "not JSON" };
  }
  const r = Envelope.safeParse(json);
  if (r.success) return { ok: true, envelope: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `${issue?.path.join(".") || "envelope"}: ${issue?.message ?? "bad shape"}` };
}

/** A message envelope from the wire or from storage, or null (with why) when it is not one. */
export function parseMessageEnvelope(raw: unknown): { ok: true; envelope: MessageEnvelope } | { ok: false; error: string } {
  if (typeof raw !== "string") return { ok: false, error: "not a string" };
  const r = parseEnvelope(raw);
  if (!r.ok) return r;
  return r.envelope.type === "message" ? { ok: true, envelope: r.envelope } : { ok: false, error: `type ${r.envelope.type}` };
}

/** A stream entry from the wire or from storage (a message or a change), or why it is not one. */
export function parseStreamEnvelope(raw: unknown): { ok: true; envelope: StreamEnvelope } | { ok: false; error: string } {
  if (typeof raw !== "string") return { ok: false, error: "not a string" };
  const r = parseEnvelope(raw);
  if (!r.ok) return r;
  const e = r.envelope;
  return e.type === "message" || e.type === "event" ? { ok: true, envelope: e } : { ok: false, error: `type ${e.type}` };
}

/** The client frame a stream envelope carries, and the key its sender waits on (message id, or event eid). */
export function entryOf(e: StreamEnvelope): { entry: StreamEntry; key: string } {
  if (e.type === "message") return { entry: frameOf(e), key: e.draft.id };
  return { entry: { ...e.event, room: e.room, seq: e.seq } as StreamEvent, key: e.eid };
}

/** A change's envelope without its epoch and seq: the apply script appends `"<epoch>","seq":<seq>}`. */
export function openEventEnvelope(node: string, room: string, eid: string, event: z.infer<typeof EventBody>): string {
  return `${JSON.stringify({ v: ENVELOPE_VERSION, node, type: "event", room, eid, event }).slice(0, -1)},"epoch":`;
}

/** The client frame a message envelope carries. */
export function frameOf(e: MessageEnvelope): MessageFrame {
  const d = e.draft;
  return { type: "message", room: e.room, seq: e.seq, id: d.id, ts: d.ts, from: d.from, kind: d.kind, text: d.text };
}

/** A message envelope without its epoch and seq: the publish script appends `"<epoch>","seq":<seq>}`. */
export function openMessageEnvelope(node: string, room: string, draft: MessageDraft): string {
  const d = { id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
  return `${JSON.stringify({ v: ENVELOPE_VERSION, node, type: "message", room, draft: d }).slice(0, -1)},"epoch":`;
}

export function presenceEnvelope(node: string, room: string, joins: Member[], leaves: Member[]): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "presence", room, joins, leaves });
}

/** A presence envelope of leaves, open inside its `leaves` array: scripts append `<member>,…]}`. */
export function openLeavesEnvelope(node: string, room: string): string {
  return presenceEnvelope(node, room, [], []).slice(0, -2);
}

export function signalEnvelope(node: string, room: string, data: string): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "signal", room, data });
}

export function directEnvelope(node: string, to: string, frame: DirectMessageFrame, except?: string): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "direct", to, except, frame });
}

export function controlEnvelope(node: string, n: number, msg: ControlMessage): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "control", n, msg });
}

export function pingEnvelope(node: string, n: number): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "ping", n });
}

/** How a member is stored in a room's member hash: exactly its JSON, so scripts can splice it. */
export const memberJson = (m: Member): string => JSON.stringify({ id: m.id, name: m.name });

/** A member JSON Redis returned (a member hash value, a name holder); null when absent or malformed. */
export function parseMemberJson(raw: unknown): Member | null {
  if (typeof raw !== "string") return null;
  try {
    const r = MemberSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
