// The server API's request and response shapes, as zod schemas: the handlers validate with
// them and openapi.ts turns the same schemas into the OpenAPI document, so the two cannot drift.
import { z } from "zod";
import { MAX_SUB_LENGTH } from "../../auth.ts";
import { MAX_CID_LENGTH, MAX_CURSOR_LENGTH, MAX_HISTORY_LIMIT, MAX_RAW_NAME_LENGTH, MAX_ROOMS_PER_CONNECTION, MAX_WHO_LIMIT } from "../../shared/limits.ts";
import { BanFrame, KickFrame, Member, MessageFrame, MessageKind, ModeFrame, MuteFrame, RoleFrame, TopicFrame, VisibilityName } from "../../shared/protocol.ts";

/** What a backend may post: not `room`, which only a room's own changes are (moderation.ts). */
const PostKind = MessageKind.exclude(["room"]);

/** The longest token the API mints, in seconds (30 days). */
export const MAX_TOKEN_TTL_S = 30 * 24 * 3600;
/** A token's lifetime when the request names none, in seconds (1 hour). */
export const DEFAULT_TOKEN_TTL_S = 3600;
/** A room listing page holds at most this many rooms (and this many without `limit`: 100). */
export const MAX_ROOMS_LIMIT = 1000;
export const DEFAULT_ROOMS_LIMIT = 100;
/** The longest disconnect reason accepted (it is cut to a close frame's 123 bytes). */
export const MAX_REASON_LENGTH = 200;

// ---- pieces ---------------------------------------------------------------------------------

const From = z
  .object({ name: z.string().max(MAX_RAW_NAME_LENGTH).describe("the server identity's display name (default `system`); a user's name is refused (409)") })
  .strict()
  .describe("who the message is from: a server identity, never a user");
const Cid = z.string().min(1).max(MAX_CID_LENGTH).describe("idempotency key: a retry with the same cid (for 5 minutes) publishes nothing and answers the original");
const Text = z.string().describe("1 to MAX_TEXT_LENGTH (4000) code points, not blank");
/** A non-negative integer in a query string. */
const seqParam = z.string().regex(/^\d{1,15}$/, "must be a non-negative integer").transform(Number);
const limitParam = (max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be 1-${max}`);

// ---- requests -------------------------------------------------------------------------------

export const PostRoomMessage = z
  .object({ text: Text, from: From.optional(), cid: Cid.optional(), kind: PostKind.optional().describe("`action` shows as /me (default `text`)") })
  .strict();
export const PostUserMessage = z.object({ text: Text, from: From.optional(), cid: Cid.optional() }).strict();
export const Disconnect = z.object({ reason: z.string().max(MAX_REASON_LENGTH).optional().describe("the close reason the user's connections get (cut to 123 bytes)") }).strict();
export const TokenRequest = z
  .object({
    sub: z.string().min(1).max(MAX_SUB_LENGTH).describe("the user id (one user across tabs); must not start with `~`"),
    name: z.string().max(MAX_RAW_NAME_LENGTH).describe("the display name; the name rules apply, reserved names are refused"),
    ttl: z.number().int().min(1).max(MAX_TOKEN_TTL_S).optional().describe("lifetime in seconds (default 3600)"),
    rooms: z.array(z.string().max(MAX_RAW_NAME_LENGTH)).min(1).max(MAX_ROOMS_PER_CONNECTION * 4).optional().describe("the only rooms the token may join (default: any)"),
  })
  .strict();

// Room actions (room-actions.ts): the protocol's frames without `type`, `room` and `ref`, so the
// limits cannot drift; `user` is a user id, or the name of a connected user.
const Target = KickFrame.shape.user.describe("the user acted on: a user id, or the name of a connected user");
const Seconds = BanFrame.shape.seconds.describe("how long, in seconds (default: until lifted)");
export const TopicBody = z.object({ text: TopicFrame.shape.text.describe("the new topic, at most 200 code points; empty clears it") }).strict();
export const TargetBody = z.object({ user: Target }).strict();
export const KickBody = z.object({ user: Target, reason: KickFrame.shape.reason.describe("shown to the room, at most 200 code points") }).strict();
export const BanBody = z.object({ user: Target, reason: BanFrame.shape.reason, seconds: Seconds }).strict();
export const MuteBody = z.object({ user: Target, seconds: MuteFrame.shape.seconds.describe("how long, in seconds (default: until lifted)") }).strict();
export const RoleBody = z.object({ user: Target, role: RoleFrame.shape.role.describe("`owner` hands the room over (the old owner stays a moderator)") }).strict();
export const ModeBody = z
  .object({ visibility: ModeFrame.shape.visibility, moderated: ModeFrame.shape.moderated, slowmode: ModeFrame.shape.slowmode.describe("seconds between a member's posts; 0 turns it off") })
  .strict()
  .refine((b) => b.visibility !== undefined || b.moderated !== undefined || b.slowmode !== undefined, { message: "give visibility, moderated or slowmode", path: ["visibility"] });

export const HistoryParams = z
  .object({ before: seqParam.optional(), after: seqParam.optional(), limit: limitParam(MAX_HISTORY_LIMIT).optional() })
  .refine((q) => q.before === undefined || q.after === undefined, { message: "give `before` or `after`, not both", path: ["before"] });
export const MembersParams = z.object({ after: z.string().max(MAX_CURSOR_LENGTH).optional(), limit: limitParam(MAX_WHO_LIMIT).optional() });
export const RoomsParams = z.object({ cursor: z.string().max(MAX_CURSOR_LENGTH).optional(), limit: limitParam(MAX_ROOMS_LIMIT).optional() });

// ---- responses ------------------------------------------------------------------------------

export const Posted = z.object({
  room: z.string(),
  seq: z.number().int(),
  id: z.string(),
  ts: z.number().describe("ms since the Unix epoch"),
  duplicate: z.boolean().describe("true when the cid was seen: nothing was published, this is the original (status 200)"),
});
export const HistoryPage = z.object({
  room: z.string(),
  seq: z.number().int().describe("the room's latest seq"),
  epoch: z.string(),
  messages: z.array(MessageFrame).describe("ascending seq order"),
  more: z.boolean().describe("more kept messages lie beyond this page in the direction read"),
});
export const MembersPage = z.object({ room: z.string(), count: z.number().int().describe("members on every node"), users: z.array(Member), next: z.string().optional().describe("the `after` of the next page; absent on the last") });
export const RoomsPage = z.object({
  rooms: z.array(z.object({ room: z.string(), count: z.number().int(), visibility: VisibilityName.describe("private rooms are listed here too: the backend is trusted"), topic: z.string().optional() })),
  next: z.string().optional().describe("the `cursor` of the next page; absent on the last"),
});
const Penalty = z.object({ user: z.string().describe("the user id"), until: z.number().optional().describe("ms since the Unix epoch; absent: until lifted") });
export const RoomStateView = z.object({
  room: z.string(),
  owner: z.string().nullable().describe("the owner's user id; null for a room nobody owns (never joined, or made by the API)"),
  topic: z.string().describe("empty when none"),
  visibility: VisibilityName,
  moderated: z.boolean(),
  slowmode: z.number().int().describe("seconds between a member's posts; 0: off"),
  moderators: z.array(z.string()).describe("user ids"),
  invited: z.array(z.string()).describe("user ids of the invited members"),
  bans: z.array(Penalty).describe("the bans in force"),
  mutes: z.array(Penalty).describe("the mutes in force"),
});
export const ActionDone = z.object({ changed: z.boolean().describe("false when the action changed nothing (then nothing was recorded in the room)"), state: RoomStateView.describe("the room's state after the action") });
export const MessageDeleted = z.object({ room: z.string(), id: z.string(), deleted: z.literal(true) });
export const DirectSent = z.object({ id: z.string(), ts: z.number(), from: Member, to: Member, duplicate: z.boolean() });
export const ConnectedUser = z.object({ user: Member.describe("the user's id and current name") });
export const DisconnectAccepted = z.object({ user: Member.describe("the user, as it was connected") });
export const Token = z.object({ token: z.string().describe("an HS256 JWT for `?token=` or the `bearer.` subprotocol"), expiresAt: z.number().describe("ms since the Unix epoch") });
export const ErrorBody = z.object({ error: z.object({ code: z.string().describe("a WebSocket protocol error code, or not_found, method_not_allowed, payload_too_large, not_configured"), message: z.string() }) });
