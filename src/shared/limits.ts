// Protocol constants: the numbers both sides must agree on. No imports, so the browser can take
// them without pulling in zod (shared/protocol.ts) or anything of the server's.

/** The wire protocol this code speaks; `welcome.protocol` carries it. */
export const PROTOCOL_VERSION = 2;
/** The WebSocket subprotocol of version 2; a client may offer `bearer.<token>` beside it. */
export const SUBPROTOCOL = "hubbub.v2";
/** Version 2 with batched frames: several frames per WebSocket text frame, one per line (`\n`). Same as `?batch=1`. */
export const BATCH_SUBPROTOCOL = "hubbub.v2.batch";

/** A connection may be a member of at most this many rooms at once. */
export const MAX_ROOMS_PER_CONNECTION = 16;
/** The longest `ref` a client may attach; refs are echoed, so they are bounded. */
export const MAX_REF_LENGTH = 64;
/** The longest `cid` (client message id) a send may carry. */
export const MAX_CID_LENGTH = 64;
/** Longest raw room or user name a frame may carry (names.ts then applies the real rules). */
export const MAX_RAW_NAME_LENGTH = 256;
/** Longest `who` cursor (a user id) or other opaque token a frame may carry. */
export const MAX_CURSOR_LENGTH = 256;

/** How long (ms) the server remembers a user's `cid`s, at the least (on every node, for chat). */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60 * 1000;

/** A `history` page holds at most this many messages (`limit` 1–200). */
export const MAX_HISTORY_LIMIT = 200;
/** A `history` page without `limit` holds this many. */
export const DEFAULT_HISTORY_LIMIT = 50;
/** A `who` page (and the `users` snapshot on joining) holds at most this many members. */
export const MAX_WHO_LIMIT = 1000;
/** A large room's join answer (PRESENCE_LIST_MAX) holds at most this many members, the joiner's own entry included. */
export const LARGE_FIRST_PAGE = 100;

/** A client sends `typing` for a room at most once per this many ms while the user types (the server drops more frequent ones). */
export const TYPING_INTERVAL_MS = 2000;
/** A user listed in a `typing` frame counts as typing for this long (ms), unless their message comes first. Three intervals: a typist refreshes well before it runs out. */
export const TYPING_TTL_MS = 3 * TYPING_INTERVAL_MS;
/** Rooms with more members than this get no typing frames (a big room's typing is noise and costs every member a frame). */
export const MAX_TYPING_ROOM_MEMBERS = 100;

// Rooms that belong to someone (src/room-rules.ts, docs/rooms.md).
/** A room's topic is at most this many code points. */
export const MAX_TOPIC_LENGTH = 200;
/** A kick or ban reason is at most this many code points. */
export const MAX_REASON_LENGTH = 200;
/** The longest slowmode, in seconds (6 hours); 0 turns it off. */
export const MAX_SLOWMODE_S = 6 * 3600;
/** The longest timed ban or mute, in seconds (about a year); without `seconds` one lasts until lifted. */
export const MAX_PENALTY_S = 366 * 86400;
/** A room keeps at most this many entries in each of its lists (moderators and invited members, bans, mutes). */
export const MAX_ROOM_LIST = 1000;
/** A `rooms` page lists at most this many rooms. */
export const ROOMS_PAGE = 100;
