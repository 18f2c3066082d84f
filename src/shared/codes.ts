// The two catalogs of the protocol: WebSocket close codes and error-frame codes. Call sites
// use these names, never bare numbers or strings. docs/protocol.md lists the same entries.

/**
 * Close codes the server sends. 1000–1015 are the RFC 6455 range; 4000–4999 is the
 * application range. `reconnect` says whether a client should try again (with backoff).
 */
export const CloseCode = {
  /** 1000: normal closure. Reconnect: only if the client wants to. */
  Normal: 1000,
  /** 1001: the server is shutting down; a `shutdown` frame came first. Reconnect: yes, after retryAfterMs. */
  GoingAway: 1001,
  /** 1008: repeated abuse (sustained rate-limit or protocol violations). Reconnect: yes, slowly. */
  Abuse: 1008,
  /** 1009: a frame over MAX_PAYLOAD_BYTES (sent by Bun itself). Reconnect: yes, with smaller frames. */
  TooBig: 1009,
  /** 4008: slow consumer evicted: the unsent buffer stayed over SLOW_CONSUMER_BYTES (backpressure.ts). Reconnect: yes, with `since`. */
  SlowConsumer: 4008,
  /** 4400: a bad handshake parameter (name, room, since, epoch). Reconnect: not with the same parameters. */
  BadHandshake: 4400,
  /** 4409: the requested name is held by another live connection. Reconnect: with another name. */
  NameTaken: 4409,
  /** 4401: AUTH_SECRET is set and the token was missing, invalid or expired; an `unauthorized` error frame came first. Reconnect: only with a fresh token. */
  Unauthorized: 4401,
  /** 4000: the server dropped a peer that stayed silent past IDLE_TIMEOUT_S. Reconnect: yes. */
  Idle: 4000,
  /** 1013: admission could not finish (a cluster node lost Redis meanwhile); an `unavailable` error frame came first. Reconnect: yes, after a backoff. */
  TryAgainLater: 1013,
  /** 4403: the application's backend disconnected this user (the server API's `users/{id}/disconnect`, on every node); the reason is the backend's. Reconnect: not automatically. */
  Disconnected: 4403,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Reason strings sent with our close codes (at most 123 bytes each, per RFC 6455). Keyed by the
 * numbers themselves, so that a bundle without the server (the web page) can leave the table out:
 * a computed key (`[CloseCode.Normal]`) reads CloseCode, which a bundler must assume has effects.
 */
export const CloseReason = {
  1000: "normal closure",
  1001: "server shutting down",
  1008: "repeated abuse",
  1009: "message too big",
  4008: "slow consumer",
  4400: "bad handshake parameter",
  4409: "name taken",
  4401: "unauthorized",
  4000: "idle timeout",
  1013: "try again later",
  4403: "disconnected by the server",
} satisfies Record<CloseCode, string>;

/** Codes carried by `error` frames. After an error the connection stays open unless a close follows. */
export const ErrorCode = {
  /** The frame was not valid JSON. */
  InvalidJson: "invalid_json",
  /** Valid JSON of the wrong shape, a binary frame, or a bad field value. */
  InvalidMessage: "invalid_message",
  /** `type` is not one the protocol defines. */
  UnknownType: "unknown_type",
  /** A chat text began with `/` but named no command. */
  UnknownCommand: "unknown_command",
  /** The text is over MAX_TEXT_LENGTH code points. */
  TextTooLong: "text_too_long",
  /** Over the frame's budget (RATE_LIMIT, IP_RATE_LIMIT, JOIN_RATE_LIMIT, REQUEST_RATE_LIMIT) or too many requests waiting; the frame was dropped. */
  RateLimited: "rate_limited",
  /** The connection is not a member of the room it named (or of any room). */
  NotInRoom: "not_in_room",
  /** No connected user has that name. */
  NoSuchUser: "no_such_user",
  /** The name is held by another live connection. */
  NameTaken: "name_taken",
  /** Names: 1–32 letters, digits, `_`, `-`, `.`. */
  InvalidName: "invalid_name",
  /** Rooms: `^[a-z0-9][a-z0-9_-]{0,31}$` after lower-casing. */
  InvalidRoom: "invalid_room",
  /** No valid token (AUTH_SECRET is set), or the action needs one (names come from the token). */
  Unauthorized: "unauthorized",
  /** A connection may be in at most MAX_ROOMS_PER_CONNECTION rooms. */
  TooManyRooms: "too_many_rooms",
  /**
   * The server could not complete the request: a cluster node that lost Redis, or an internal
   * failure. A chat may or may not have been published (its seq is then in history).
   */
  Unavailable: "unavailable",
  /** The application's message hook (MESSAGE_HOOK_URL) refused the message; `message` is the backend's. Nothing was published. */
  Rejected: "rejected",
  /** An edit, delete or reaction named no message of that room (or one already deleted). */
  NotFound: "not_found",
  /**
   * Not yours to do: a message only its author (or a moderator) may change; a room action above
   * your role (docs/rooms.md); a private room you are not invited to (the same answer whether or
   * not it exists); a moderated room's chat from a member.
   */
  Forbidden: "forbidden",
  /** You are banned from that room (until the ban is lifted or runs out). */
  Banned: "banned",
  /** You are muted in that room: your chat is refused (until unmuted or the mute runs out). */
  Muted: "muted",
  /** The room is in slowmode: the message says how many seconds are left before you may post. */
  SlowMode: "slow_mode",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
