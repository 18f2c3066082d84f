// Cross-node envelopes: what travels on the cluster's Redis channels (and, for messages, what
// the history stream stores). Every envelope carries the format version, the origin node id
// and a `type` tag. parseEnvelope() validates once at the boundary and never throws; a
// receiver drops what fails it with a log line.
//
// Two envelopes are finished inside a Lua script, which is why they are built as an "open"
// JSON prefix here: a message's seq is only known inside the script that assigns it (the
// script appends `<seq>}`), and a presence leave is built from the member JSON Redis holds
// (the script appends `<member>,<member>]}`). Everything else is plain JSON.stringify.
import { z } from "zod";
import type { DirectMessageFrame, Member, MessageFrame } from "../shared/protocol.ts";
import { DirectMessageFrame as DirectSchema, Member as MemberSchema, MessageFrame as MessageSchema } from "../shared/protocol.ts";
import type { MessageDraft } from "./engine.ts";

export const ENVELOPE_VERSION = 1;

const Base = { v: z.literal(ENVELOPE_VERSION), node: z.string().min(1).max(64) };
const Draft = MessageSchema.omit({ type: true, room: true, seq: true });

const MessageEnvelope = z.object({ ...Base, type: z.literal("message"), room: z.string(), draft: Draft, seq: z.number().int().min(1).safe() });
const PresenceEnvelope = z.object({ ...Base, type: z.literal("presence"), room: z.string(), joins: z.array(MemberSchema), leaves: z.array(MemberSchema) });
const DirectEnvelope = z.object({ ...Base, type: z.literal("direct"), to: z.string(), frame: DirectSchema });
/** A node's health-check ping to itself: proves its subscription still delivers. */
const PingEnvelope = z.object({ ...Base, type: z.literal("ping"), n: z.number().int().min(0) });

const Envelope = z.discriminatedUnion("type", [MessageEnvelope, PresenceEnvelope, DirectEnvelope, PingEnvelope]);
export type Envelope = z.infer<typeof Envelope>;
export type MessageEnvelope = z.infer<typeof MessageEnvelope>;

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

/** The client frame a message envelope carries. */
export function frameOf(e: MessageEnvelope): MessageFrame {
  const d = e.draft;
  return { type: "message", room: e.room, seq: e.seq, id: d.id, ts: d.ts, from: d.from, kind: d.kind, text: d.text };
}

/** A message envelope without its seq: the publish script appends `<seq>}`. */
export function openMessageEnvelope(node: string, room: string, draft: MessageDraft): string {
  const d = { id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
  return `${JSON.stringify({ v: ENVELOPE_VERSION, node, type: "message", room, draft: d }).slice(0, -1)},"seq":`;
}

export function presenceEnvelope(node: string, room: string, joins: Member[], leaves: Member[]): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "presence", room, joins, leaves });
}

/** A presence envelope of leaves, open inside its `leaves` array: scripts append `<member>,…]}`. */
export function openLeavesEnvelope(node: string, room: string): string {
  return presenceEnvelope(node, room, [], []).slice(0, -2);
}

export function directEnvelope(node: string, to: string, frame: DirectMessageFrame): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "direct", to, frame });
}

export function pingEnvelope(node: string, n: number): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, node, type: "ping", n });
}

/** How a member is stored in a room's member hash: exactly its JSON, so scripts can splice it. */
export const memberJson = (m: Member): string => JSON.stringify({ id: m.id, name: m.name });
