// hubbub/client: the public surface of the client SDK. Everything else in src/client is internal.
export { HubbubClient, type HubbubClientOptions } from "./client.ts";
export type { ClientEvents, ConnectionState, CloseInfo, Frame } from "./events.ts";
export { HubbubError, ClientErrorCode } from "./errors.ts";
export type { AckFrame } from "./outbox.ts";
export { reconnectDelay, DEFAULT_BACKOFF, type BackoffOptions } from "../shared/backoff.ts";
export { PROTOCOL_VERSION, type Member, type MessageFrame, type DirectMessageFrame, type Limits, type ServerFrame, type ClientFrame } from "../shared/protocol.ts";
export { CloseCode, ErrorCode } from "../shared/codes.ts";
export { normalizeName, normalizeRoom, DEFAULT_ROOM, MAX_NAME_LENGTH } from "../names.ts";
export { parseCommand, expectedMessage } from "./lines.ts";
