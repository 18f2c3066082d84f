// Wire protocol v2: the single definition of every frame, as zod schemas. The server parses
// client frames with them (parseClientFrame, never throwing; past it nothing re-checks shapes).
// The SDK and the page import only the *types* from here (`import type`), so the browser never
// bundles zod; they read frames with shared/decode.ts. docs/protocol.md describes the same frames.
import { z } from "zod";
import { ErrorCode } from "./codes.ts";
import { isEmoji, MAX_EMOJI_BYTES } from "./emoji.ts";
import {
  MAX_CID_LENGTH, MAX_CURSOR_LENGTH, MAX_HISTORY_LIMIT, MAX_PENALTY_S, MAX_RAW_NAME_LENGTH, MAX_REASON_LENGTH, MAX_REF_LENGTH, MAX_SLOWMODE_S,
  MAX_TOPIC_LENGTH, MAX_WHO_LIMIT, PROTOCOL_VERSION,
} from "./limits.ts";

// ---- shared pieces --------------------------------------------------------------------------

/** A client's correlation id: echoed on the one reply to the frame that carried it. */
export const Ref = z.union([z.string().max(MAX_REF_LENGTH), z.number().int().safe()]);
export type Ref = z.infer<typeof Ref>;
const Cid = z.string().min(1).max(MAX_CID_LENGTH);
const Seq = z.number().int().min(0).safe();
/** Room and user names are checked by names.ts; the schema only bounds the raw string. */
const RawName = z.string().max(MAX_RAW_NAME_LENGTH);
/** A room's epoch: opaque; a new one means the room's seq numbering restarted. */
const Epoch = z.string().min(1).max(64);

export const Member = z.object({ id: z.string(), name: z.string() });
export type Member = z.infer<typeof Member>;
export const RoleName = z.enum(["owner", "moderator", "member"]);
export const VisibilityName = z.enum(["public", "private"]);

// ---- client → server ------------------------------------------------------------------------

export const ChatFrame = z.object({ type: z.literal("chat"), text: z.string(), room: RawName.optional(), cid: Cid.optional(), ref: Ref.optional() });
export const DirectFrame = z.object({ type: z.literal("direct"), to: RawName, text: z.string(), cid: Cid.optional(), ref: Ref.optional() });
export const JoinFrame = z.object({ type: z.literal("join"), room: RawName, since: Seq.optional(), epoch: Epoch.optional(), ref: Ref.optional() });
export const LeaveFrame = z.object({ type: z.literal("leave"), room: RawName, ref: Ref.optional() });
export const NickFrame = z.object({ type: z.literal("nick"), name: RawName, ref: Ref.optional() });
/** A page of members (`after`, `limit`), or the look-up of one user by `id` or by `name`. */
export const WhoFrame = z
  .object({
    type: z.literal("who"),
    room: RawName,
    after: z.string().max(MAX_CURSOR_LENGTH).optional(),
    limit: z.number().int().min(1).max(MAX_WHO_LIMIT).optional(),
    id: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
    name: RawName.optional(),
    ref: Ref.optional(),
  })
  .refine((f) => f.id === undefined || f.name === undefined, { message: "give `id` or `name`, not both", path: ["id"] })
  .refine((f) => (f.id === undefined && f.name === undefined) || f.after === undefined, { message: "a look-up (`id`, `name`) takes no `after`", path: ["after"] });
export const HistoryRequestFrame = z
  .object({
    type: z.literal("history"),
    room: RawName,
    before: Seq.optional(),
    after: Seq.optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional(),
    ref: Ref.optional(),
  })
  .refine((f) => f.before === undefined || f.after === undefined, { message: "give `before` or `after`, not both", path: ["before"] });
export const PingFrame = z.object({ type: z.literal("ping"), ref: Ref.optional() });
// Typing indicators and read markers (src/typing.ts, src/read-markers.ts).
/** "I am typing in `room`": shown to the room's members for TYPING_TTL_MS, or until my next message. */
export const TypingFrame = z.object({ type: z.literal("typing"), room: RawName, ref: Ref.optional() });
/** "I have read `room` up to `seq`": kept per user and room, and told to the user's other connections. */
export const ReadFrame = z.object({ type: z.literal("read"), room: RawName, seq: Seq, ref: Ref.optional() });

// ---- client → server: changes to stored messages (durable rooms) ------------------------------

/** A message id, as the server made it (`<node>-<counter>`); bounded because it is echoed. */
const MessageId = z.string().min(1).max(MAX_CURSOR_LENGTH);
export const EditFrame = z.object({ type: z.literal("edit"), room: RawName, id: MessageId, text: z.string(), ref: Ref.optional() });
export const DeleteFrame = z.object({ type: z.literal("delete"), room: RawName, id: MessageId, ref: Ref.optional() });
/** `emoji`: one emoji grapheme of at most MAX_EMOJI_BYTES bytes (shared/emoji.ts checks it). */
export const ReactFrame = z.object({
  type: z.literal("react"),
  room: RawName,
  id: MessageId,
  emoji: z.string().min(1).max(MAX_EMOJI_BYTES).refine(isEmoji, { message: `must be one emoji of at most ${MAX_EMOJI_BYTES} bytes` }),
  on: z.boolean(),
  ref: Ref.optional(),
});

// ---- client → server: rooms that belong to someone (room-rules.ts, docs/rooms.md) --------------

/** The member acted on: a name, or a user id (for users who are not connected). */
const Target = z.string().min(1).max(MAX_RAW_NAME_LENGTH);
/** Raw bounds only: the rules count code points (room-rules.ts). */
const Reason = z.string().max(MAX_REASON_LENGTH * 2);
const Seconds = z.number().int().min(1).max(MAX_PENALTY_S);
export const TopicFrame = z.object({ type: z.literal("topic"), room: RawName, text: z.string().max(MAX_TOPIC_LENGTH * 2), ref: Ref.optional() });
export const InviteFrame = z.object({ type: z.literal("invite"), room: RawName, user: Target, ref: Ref.optional() });
export const KickFrame = z.object({ type: z.literal("kick"), room: RawName, user: Target, reason: Reason.optional(), ref: Ref.optional() });
export const BanFrame = z.object({ type: z.literal("ban"), room: RawName, user: Target, reason: Reason.optional(), seconds: Seconds.optional(), ref: Ref.optional() });
export const UnbanFrame = z.object({ type: z.literal("unban"), room: RawName, user: Target, ref: Ref.optional() });
export const MuteFrame = z.object({ type: z.literal("mute"), room: RawName, user: Target, seconds: Seconds.optional(), ref: Ref.optional() });
export const UnmuteFrame = z.object({ type: z.literal("unmute"), room: RawName, user: Target, ref: Ref.optional() });
export const RoleFrame = z.object({ type: z.literal("role"), room: RawName, user: Target, role: RoleName, ref: Ref.optional() });
export const ModeFrame = z
  .object({
    type: z.literal("mode"),
    room: RawName,
    visibility: VisibilityName.optional(),
    moderated: z.boolean().optional(),
    slowmode: z.number().int().min(0).max(MAX_SLOWMODE_S).optional(),
    ref: Ref.optional(),
  })
  .refine((f) => f.visibility !== undefined || f.moderated !== undefined || f.slowmode !== undefined, { message: "give visibility, moderated or slowmode", path: ["visibility"] });
/** A page of the public rooms, after `cursor` (the last room of the page before). `/list`. */
export const ListFrame = z.object({ type: z.literal("list"), cursor: z.string().max(MAX_CURSOR_LENGTH).optional(), ref: Ref.optional() });

export const ClientFrame = z.discriminatedUnion("type", [
  ChatFrame, DirectFrame, JoinFrame, LeaveFrame, NickFrame, WhoFrame, HistoryRequestFrame, PingFrame, TypingFrame, ReadFrame,
  EditFrame, DeleteFrame, ReactFrame,
  TopicFrame, InviteFrame, KickFrame, BanFrame, UnbanFrame, MuteFrame, UnmuteFrame, RoleFrame, ModeFrame, ListFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ChatFrame = z.infer<typeof ChatFrame>;
export type DirectFrame = z.infer<typeof DirectFrame>;
export type ClientFrameType = ClientFrame["type"];

/** Every client frame type (for metering and docs). */
export const CLIENT_TYPES: ReadonlySet<string> = new Set([
  "chat", "direct", "join", "leave", "nick", "who", "history", "ping", "typing", "read", "edit", "delete", "react",
  "topic", "invite", "kick", "ban", "unban", "mute", "unmute", "role", "mode", "list",
] satisfies ClientFrameType[]);
/** The client frames that change a room's settings or act on its members (moderation.ts). */
export type RoomActionFrame = Extract<ClientFrame, { type: "topic" | "invite" | "kick" | "ban" | "unban" | "mute" | "unmute" | "role" | "mode" }>;

// ---- server → client ------------------------------------------------------------------------

export const Limits = z.object({
  maxTextLength: z.number(),
  maxPayloadBytes: z.number(),
  ratePerSecond: z.number(),
  joinsPerSecond: z.number(),
  requestsPerSecond: z.number(),
  historySize: z.number(),
});

export const WelcomeFrame = z.object({
  type: z.literal("welcome"),
  protocol: z.literal(PROTOCOL_VERSION),
  conn: z.string(),
  id: z.string(),
  name: z.string(),
  resume: z.string().optional(),
  limits: Limits,
});
export const IdentityFrame = z.object({ type: z.literal("identity"), id: z.string(), name: z.string(), resume: z.string().optional(), ref: Ref.optional() });
export const UsersFrame = z.object({
  type: z.literal("users"),
  room: z.string(),
  seq: Seq,
  epoch: z.string(),
  count: z.number().int().min(0),
  /** Members, as presence lists them: who holds a role is in `roles`, which covers every member, not just this page's. */
  users: z.array(Member),
  next: z.string().optional(),
  // The room's settings (docs/rooms.md), each only when it says something: its topic when set,
  // `visibility: "private"` (absent: public), its modes when any.
  topic: z.string().optional(),
  visibility: VisibilityName.optional(),
  modes: z.object({ moderated: z.literal(true).optional(), slowmode: z.number().int().min(1).optional() }).optional(),
  /** The requesting user's own role in the room, when above member. */
  role: RoleName.optional(),
  /** Every user of the room with a role above member (its owner, its moderators), by id, whether on this page, on another, or not here. */
  roles: z.record(z.string(), RoleName).optional(),
  /** On a join's answer: the highest seq this user has marked read in the room (its `read` marker), when it has one. */
  lastRead: Seq.optional(),
  /** On a join's answer: the room is large (PRESENCE_LIST_MAX), so this is its first page only and no per-user presence follows. */
  large: z.boolean().optional(),
  ref: Ref.optional(),
});
/**
 * Per-user diffs (small rooms), or, with `count` and `large`, a large room's member count or a
 * crossing of the threshold (docs/protocol.md, Large rooms); then `joins` and `leaves` are empty.
 */
export const PresenceFrame = z.object({
  type: z.literal("presence"),
  room: z.string(),
  joins: z.array(Member),
  leaves: z.array(Member),
  count: z.number().int().min(0).optional(),
  large: z.boolean().optional(),
  /** Renames in a large room (which sends no diffs): update the entries held for these ids, add none. */
  renames: z.array(Member).optional(),
});
/** `room`: a change to the room (room-rules.ts): `text` is its JSON (shared/roles.ts RoomChange), `from` who made it. */
export const MessageKind = z.enum(["text", "action", "room"]);
export const MessageFrame = z.object({
  type: z.literal("message"),
  room: z.string(),
  seq: Seq,
  id: z.string(),
  ts: z.number(),
  from: Member,
  kind: MessageKind,
  /** Empty once the message was deleted (the text is erased from storage). */
  text: z.string(),
  // The message's current state, on stored copies (history pages) only; live frames are as posted.
  /** When the text was last edited (ms since the epoch). */
  edited: z.number().optional(),
  /** The message was deleted: a tombstone, its text erased. */
  deleted: z.literal(true).optional(),
  /** Emoji → ids of the users who reacted with it, in the order they did; absent without reactions. */
  reactions: z.record(z.string(), z.array(z.string())).optional(),
});

// ---- server → client: changes to stored messages (durable rooms) ------------------------------
// Each is an entry in the room's seq'd stream, like a message: delivered live in seq order and
// replayed by `since` recovery; applying one to a message's current state is idempotent
// (shared/stream.ts), so a client may see it both folded into a replayed message and on its own.

/** The message `id` now reads `text` (edited by its author `by` at `ts`). */
export const EditedFrame = z.object({ type: z.literal("edited"), room: z.string(), seq: Seq, id: z.string(), text: z.string(), ts: z.number(), by: Member });
/** The message `id` was deleted by `by` at `ts`: its text is gone from storage. */
export const DeletedFrame = z.object({ type: z.literal("deleted"), room: z.string(), seq: Seq, id: z.string(), ts: z.number(), by: Member });
/** `by` added (`on`) or took back their `emoji` reaction on message `id`. */
export const ReactionFrame = z.object({ type: z.literal("reaction"), room: z.string(), seq: Seq, id: z.string(), emoji: z.string(), by: Member, on: z.boolean() });
/** One entry of a room's stream: a message, or a change to one. */
export const StreamEntry = z.discriminatedUnion("type", [MessageFrame, EditedFrame, DeletedFrame, ReactionFrame]);

export const AckFrame = z.object({ type: z.literal("ack"), ref: Ref, room: z.string(), seq: Seq, id: z.string(), cid: Cid.optional() });
export const DirectMessageFrame = z.object({
  type: z.literal("direct"),
  id: z.string(),
  ts: z.number(),
  from: Member,
  to: Member,
  text: z.string(),
  cid: Cid.optional(),
  ref: Ref.optional(),
});
export const HistoryFrame = z.object({
  type: z.literal("history"),
  room: z.string(),
  epoch: z.string(),
  /**
   * In seq order. Read backwards (scrollback): messages only, each in its current state. Read
   * forwards (`after`, recovery): every stream entry, messages in their current state and the
   * edits, deletes and reactions among them.
   */
  messages: z.array(StreamEntry),
  recovered: z.boolean().optional(),
  more: z.boolean().optional(),
  ref: Ref.optional(),
});
/** Out of a room: the answer to `leave`, or (with `reason` and `by`) removed by a moderator. */
export const LeftFrame = z.object({ type: z.literal("left"), room: z.string(), reason: z.enum(["kicked", "banned"]).optional(), by: Member.optional(), ref: Ref.optional() });
/** A page of the public rooms with members: their member counts and topics; `next` is the cursor of the following page. */
export const RoomsFrame = z.object({
  type: z.literal("list"),
  rooms: z.array(z.object({ room: z.string(), count: z.number().int().min(0), topic: z.string().optional() })),
  next: z.string().optional(),
  ref: Ref.optional(),
});
export const NoticeFrame = z.object({ type: z.literal("notice"), text: z.string(), room: z.string().optional(), ref: Ref.optional() });
/** A room's seq numbering restarted (the cluster's Redis lost its data): seqs count anew in `epoch` after `seq`. */
export const EpochFrame = z.object({ type: z.literal("epoch"), room: z.string(), epoch: z.string(), seq: Seq });
export const OkFrame = z.object({ type: z.literal("ok"), ref: Ref });
export const ErrorFrame = z.object({ type: z.literal("error"), code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]), message: z.string(), ref: Ref.optional() });
export const ShutdownFrame = z.object({ type: z.literal("shutdown"), reason: z.string(), retryAfterMs: z.number() });
export const PongFrame = z.object({ type: z.literal("pong"), ref: Ref.optional() });
/** Who is typing in a room: each listed user for TYPING_TTL_MS from this frame, or until their next message there. */
export const TypingUsersFrame = z.object({ type: z.literal("typing"), room: z.string(), users: z.array(Member) });
/** This user's read marker for a room: the answer to `read` (with its ref), and to the user's other connections. */
export const ReadMarkerFrame = z.object({ type: z.literal("read"), room: z.string(), seq: Seq, ref: Ref.optional() });

export const ServerFrame = z.discriminatedUnion("type", [
  WelcomeFrame, IdentityFrame, UsersFrame, PresenceFrame, MessageFrame, AckFrame, DirectMessageFrame, HistoryFrame,
  LeftFrame, NoticeFrame, EpochFrame, OkFrame, ErrorFrame, ShutdownFrame, PongFrame, TypingUsersFrame, ReadMarkerFrame,
  EditedFrame, DeletedFrame, ReactionFrame, RoomsFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameType = ServerFrame["type"];
export type MessageFrame = z.infer<typeof MessageFrame>;
export type DirectMessageFrame = z.infer<typeof DirectMessageFrame>;
export type PresenceFrame = z.infer<typeof PresenceFrame>;
export type UsersFrame = z.infer<typeof UsersFrame>;
export type HistoryFrame = z.infer<typeof HistoryFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type Limits = z.infer<typeof Limits>;
export type MessageKind = z.infer<typeof MessageKind>;
export type TypingUsersFrame = z.infer<typeof TypingUsersFrame>;
export type ReadMarkerFrame = z.infer<typeof ReadMarkerFrame>;
export type EditedFrame = z.infer<typeof EditedFrame>;
export type DeletedFrame = z.infer<typeof DeletedFrame>;
export type ReactionFrame = z.infer<typeof ReactionFrame>;
export type StreamEntry = z.infer<typeof StreamEntry>;
export type LeftFrame = z.infer<typeof LeftFrame>;
export type RoomsFrame = z.infer<typeof RoomsFrame>;
/** A change to a stored message: an entry of the stream that is not a message. */
export type StreamEvent = EditedFrame | DeletedFrame | ReactionFrame;

/** Every server frame type: shared/decode.ts checks the discriminant against this list. */
export const SERVER_TYPES = ServerFrame.options.map((o) => o.shape.type.value);

// ---- parsing and encoding -------------------------------------------------------------------

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: Ref };

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
  const { text, room, cid, ref } = obj;
  if (typeof text !== "string") return null;
  if (room !== undefined && !(typeof room === "string" && room.length <= MAX_RAW_NAME_LENGTH)) return null;
  if (cid !== undefined && !(typeof cid === "string" && cid.length >= 1 && cid.length <= MAX_CID_LENGTH)) return null;
  if (ref !== undefined && !isRef(ref)) return null;
  const frame: ChatFrame = { type: "chat", text };
  if (room !== undefined) frame.room = room;
  if (cid !== undefined) frame.cid = cid as string;
  if (ref !== undefined) frame.ref = ref;
  return frame;
}

/** The Ref schema's rule, by hand (it runs on every frame). A ref is echoed on errors only when valid. */
export function isRef(v: unknown): v is Ref {
  return typeof v === "string" ? v.length <= MAX_REF_LENGTH : typeof v === "number" && Number.isSafeInteger(v);
}

function withRef(r: Extract<ParseResult, { ok: false }>, ref: Ref | undefined): ParseResult {
  return ref === undefined ? r : { ...r, ref };
}

/** Serialises a server frame. Every outbound frame goes through here exactly once. */
export function encode(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** Parses and validates a server frame with the schemas (tests, tools): a typed frame, or null. */
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
