// hubbub/client: the public surface of the client SDK. Everything else in src/client is internal.
// Like the rest of the SDK it takes only src/shared/ (and zod-free parts of it at runtime).
export { HubbubClient } from "./client.ts";
export type { HubbubClientOptions, HistoryPage, MemberPage, RoomListPage } from "./options.ts";
export type { ClientEvents, ConnectionState, CloseInfo, Frame } from "./events.ts";
export type { Roster } from "./members.ts";
export { NO_SETTINGS, changeOf, describeChange, type RoomSettings } from "./room-settings.ts";
export { ROLE_RANK, type Role, type RoomChange, type Visibility } from "../shared/roles.ts";
export { HubbubError, ClientErrorCode } from "./errors.ts";
export { reconnectDelay, DEFAULT_BACKOFF, type BackoffOptions } from "../shared/backoff.ts";
export { PROTOCOL_VERSION, SUBPROTOCOL, BATCH_SUBPROTOCOL, MAX_HISTORY_LIMIT, MAX_WHO_LIMIT } from "../shared/limits.ts";
export type { AckFrame, Member, MessageFrame, DirectMessageFrame, Limits, ServerFrame, ClientFrame } from "../shared/protocol.ts";
export { CloseCode, ErrorCode } from "../shared/codes.ts";
export { normalizeName, normalizeRoom, DEFAULT_ROOM, MAX_NAME_LENGTH, NAME_RULE, ROOM_RULE } from "../shared/names.ts";
export { parseCommand, parseDirectArgs, literal, expectedMessage } from "./lines.ts";
