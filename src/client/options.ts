// The options a HubbubClient takes, and the pages its paged requests resolve with.
import type { BackoffOptions } from "../shared/backoff.ts";
import type { Member, StreamEntry } from "../shared/protocol.ts";

export interface HubbubClientOptions {
  /** The server's WebSocket endpoint, e.g. `wss://chat.example.com/ws`. */
  url: string | URL;
  /** The name to ask for. Absent: the resumed user's name, else a server-assigned `guest-` name; either is then kept across reconnects. */
  name?: string;
  /**
   * A token for a server with AUTH_SECRET set, offered as the `bearer.<token>` subprotocol next
   * to `hubbub.v2` (kept out of URLs and proxy logs); the server takes the user id and name
   * from it. A refusal (4401) is final: create a new client with a fresh token.
   */
  token?: string;
  /**
   * A resume token from an earlier `resume` event (anonymous servers): connect as that same
   * user, with its id and name. A forged or stale one just gets a fresh guest identity.
   */
  resume?: string;
  /** Rooms to join at connect; the first is the handshake room. Default `["lobby"]`. */
  rooms?: string[];
  /** Show a room's newest page of history (50 messages) when first joining it, older ones with loadOlder() (join() can override). Default false. */
  history?: boolean;
  /** Reconnect backoff (full jitter). Default 500 ms doubling up to 30 s. */
  reconnect?: Partial<BackoffOptions>;
  /** Send an app-level ping after this long without any inbound frame, ms. Default 20000. */
  pingIntervalMs?: number;
  /** Declare the link dead when nothing arrives this long after that ping, ms. Default 10000. */
  pongTimeoutMs?: number;
  /** Abandon a connection attempt not welcomed within this long, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** The WebSocket constructor. Default: the global one. */
  WebSocket?: typeof WebSocket;
}

/** One page of a room's kept messages, ascending; `more`: more lie beyond it in the direction read. */
export interface HistoryPage {
  /** The room, normalised. */
  room: string;
  /** Read backwards: messages in their current state; read `after` a seq: every stream entry (edits, deletes, reactions too). */
  messages: StreamEntry[];
  more: boolean;
  /** The room's epoch: seqs from another epoch are not comparable. */
  epoch: string;
}

/** One page of a room's members, ordered by id; pass `next` as `after` for the following page. */
export interface MemberPage {
  /** The room, normalised. */
  room: string;
  users: Member[];
  /** Members in the room in all. */
  count: number;
  next?: string;
}

/** One page of the public rooms with members, by name; pass `next` as `cursor` for the following page. */
export interface RoomListPage {
  rooms: { room: string; count: number; topic?: string }[];
  next?: string;
}
