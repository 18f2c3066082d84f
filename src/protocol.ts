// Wire protocol v1: the single definition of every frame, shared by the server, the client SDK
// and the browser page. Client frames are validated here once (safeParse, never throwing);
// past parseClientFrame() nothing re-checks shapes. docs/protocol.md describes the same frames.
import { z } from "zod";
import { ErrorCode } from "./codes.ts";

export const PROTOCOL_VERSION = 1;

/** A connection may be a member of at most this many rooms at once. */
export const MAX_ROOMS_PER_CONNECTION = 16;
/** The longest `ref` a client may attach; refs are echoed, so they are bounded. */
export const MAX_REF_LENGTH = 64;
/** Largest `limit` a `history` request may ask for (it is also capped by HISTORY_SIZE). */
export const MAX_HISTORY_LIMIT = 1000;

// ---- shared pieces --------------------------------------------------------------------------

const Ref = z.union([z.string().max(MAX_REF_LENGTH), z.number().int().safe()]);
const Seq = z.number().int().min(0).safe();
/** Longest raw room or user name a frame may carry (names.ts then applies the real rules). */
const MAX_RAW_NAME_LENGTH = 256;
/** Room and user names are checked by names.ts; the schema only bounds the raw string. */
const RawName = z.string().max(MAX_RAW_NAME_LENGTH);

export const Member = z.object({ id: z.string(), name: z.string() });
export type Member = z.infer<typeof Member>;

// ---- client → server ------------------------------------------------------------------------

export const ChatFrame = z.object({ type: z.literal("chat"), text: z.string(), room: RawName.optional(), ref: Ref.optional() });
export const JoinFrame = z.object({ type: z.literal("join"), room: RawName, since: Seq.optional() });
export const LeaveFrame = z.object({ type: z.literal("leave"), room: RawName });
export const DirectFrame = z.object({ type: z.literal("direct"), to: RawName, text: z.string(), ref: Ref.optional() });
export const HistoryRequestFrame = z.object({
  type: z.literal("history"),
  room: RawName,
  since: Seq.optional(),
  limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional(),
});
export const PingFrame = z.object({ type: z.literal("ping"), ref: Ref.optional() });

export const ClientFrame = z.discriminatedUnion("type", [ChatFrame, JoinFrame, LeaveFrame, DirectFrame, HistoryRequestFrame, PingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ChatFrame = z.infer<typeof ChatFrame>;
export type DirectFrame = z.infer<typeof DirectFrame>;

const CLIENT_TYPES: ReadonlySet<string> = new Set(ClientFrame.options.map((o) => o.shape.type.value));

// ---- server → client ------------------------------------------------------------------------

export const Limits = z.object({ maxTextLength: z.number(), maxPayloadBytes: z.number(), ratePerSecond: z.number(), historySize: z.number() });

export const WelcomeFrame = z.object({ type: z.literal("welcome"), protocol: z.literal(PROTOCOL_VERSION), id: z.string(), name: z.string(), limits: Limits });
export const UsersFrame = z.object({ type: z.literal("users"), room: z.string(), seq: Seq, users: z.array(Member) });
export const PresenceFrame = z.object({ type: z.literal("presence"), room: z.string(), joins: z.array(Member), leaves: z.array(Member) });
export const MessageKind = z.enum(["text", "action"]);
export const MessageFrame = z.object({
  type: z.literal("message"),
  room: z.string(),
  seq: Seq,
  id: z.string(),
  ts: z.number(),
  from: Member,
  kind: MessageKind,
  text: z.string(),
});
export const AckFrame = z.object({ type: z.literal("ack"), ref: Ref, room: z.string(), seq: Seq, id: z.string() });
export const DirectMessageFrame = z.object({ type: z.literal("direct"), id: z.string(), ts: z.number(), from: Member, to: Member, text: z.string(), ref: Ref.optional() });
export const HistoryFrame = z.object({ type: z.literal("history"), room: z.string(), messages: z.array(MessageFrame) });
export const LeftFrame = z.object({ type: z.literal("left"), room: z.string() });
export const NoticeFrame = z.object({ type: z.literal("notice"), text: z.string(), room: z.string().optional() });
export const ErrorFrame = z.object({ type: z.literal("error"), code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]), message: z.string(), ref: Ref.optional() });
export const ShutdownFrame = z.object({ type: z.literal("shutdown"), reason: z.string(), retryAfterMs: z.number() });
export const PongFrame = z.object({ type: z.literal("pong"), ref: Ref.optional() });

export const ServerFrame = z.discriminatedUnion("type", [
  WelcomeFrame, UsersFrame, PresenceFrame, MessageFrame, AckFrame, DirectMessageFrame, HistoryFrame,
  LeftFrame, NoticeFrame, ErrorFrame, ShutdownFrame, PongFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type MessageFrame = z.infer<typeof MessageFrame>;
export type DirectMessageFrame = z.infer<typeof DirectMessageFrame>;
export type PresenceFrame = z.infer<typeof PresenceFrame>;
export type UsersFrame = z.infer<typeof UsersFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type Limits = z.infer<typeof Limits>;
export type MessageKind = z.infer<typeof MessageKind>;

// ---- parsing and encoding -------------------------------------------------------------------

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: string | number };

/**
 * Turns one inbound WebSocket message into a typed frame or a structured error. Never throws:
 * non-JSON, binary data, wrong shapes and unknown types all come back as `{ ok: false }`.
 * Unknown extra fields are stripped by the schemas, so they are never echoed.
 */
export function parseClientFrame(data: string | Buffer): ParseResult {
  if (typeof data !== "string") return { ok: false, code: ErrorCode.InvalidMessage, message: "binary frames are not accepted; send UTF-8 JSON text" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, code: ErrorCode.InvalidJson, message: "frame is not valid JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, code: ErrorCode.InvalidMessage, message: "frame must be a JSON object" };
  }
  const obj = json as Record<string, unknown>;
  if (obj.type === "chat") {
    const chat = fastChat(obj);
    if (chat) return { ok: true, frame: chat };
  }
  const ref = isRef(obj.ref) ? obj.ref : undefined;
  if (typeof obj.type !== "string") return withRef({ ok: false, code: ErrorCode.InvalidMessage, message: "frame needs a string `type`" }, ref);
  if (!CLIENT_TYPES.has(obj.type)) return withRef({ ok: false, code: ErrorCode.UnknownType, message: `unknown type ${JSON.stringify(obj.type.slice(0, 32))}` }, ref);
  const parsed = ClientFrame.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `\`${issue.path.join(".")}\`: ` : "";
    return withRef({ ok: false, code: ErrorCode.InvalidMessage, message: `invalid ${obj.type} frame: ${where}${issue?.message ?? "bad shape"}` }, ref);
  }
  return { ok: true, frame: parsed.data };
}

/**
 * The hot path. Nearly every frame a server sees is a `chat`, and the schema costs several
 * microseconds per frame (zod builds result and issue objects), so a well-formed chat frame is
 * checked here by hand against exactly ChatFrame's rules, and stripped to its known fields as
 * the schema would. Anything this does not accept goes through the schema, which words the
 * error. test/protocol-fast-path.test.ts holds the two to the same answers.
 */
function fastChat(obj: Record<string, unknown>): ChatFrame | null {
  const { text, room, ref } = obj;
  if (typeof text !== "string") return null;
  if (room !== undefined && !(typeof room === "string" && room.length <= MAX_RAW_NAME_LENGTH)) return null;
  if (ref !== undefined && !isRef(ref)) return null;
  const frame: ChatFrame = { type: "chat", text };
  if (room !== undefined) frame.room = room;
  if (ref !== undefined) frame.ref = ref;
  return frame;
}

/** The Ref schema's rule, by hand (it runs on every frame). A ref is echoed on errors only when valid. */
function isRef(v: unknown): v is string | number {
  return typeof v === "string" ? v.length <= MAX_REF_LENGTH : typeof v === "number" && Number.isSafeInteger(v);
}

function withRef(r: Extract<ParseResult, { ok: false }>, ref: string | number | undefined): ParseResult {
  return ref === undefined ? r : { ...r, ref };
}

/** Serialises a server frame. Every outbound frame goes through here exactly once. */
export function encode(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Parses a server frame (for clients): a typed frame, or null for anything malformed. */
export function parseServerFrame(data: string): ServerFrame | null {
  try {
    const r = ServerFrame.safeParse(JSON.parse(data));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Length in Unicode code points, without allocating an array. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
