// The Engine seam: everything that must be shared between nodes when Hubbub runs as a cluster
// goes through one of four focused parts, each with its own contract suite run against every
// engine (test/engine-contract.ts, one file per part in test/engine-contract/):
//
//   Broker         sequenced publish into a room (seq + history append + fan-out, idempotent per
//                  client message id), unsequenced room signals, direct delivery to a user, and a
//                  control channel between nodes
//   HistoryStore   a room's stream position {seq, epoch} and paged reads of its kept messages
//   PresenceStore  a room's members across the cluster: join, leave, count and paged listing,
//                  and the rooms that have members
//   NameRegistry   cluster-wide unique names, and who a connected user is by id
//
// MemoryEngine (engine/memory.ts) is the single-node default; RedisEngine (engine/redis.ts)
// implements the same parts for several nodes sharing one Redis. The single-node engine keeps a
// room's stream in a StreamStore (engine/stream-store.ts): in memory, or durable in SQLite
// (engine/sqlite-stream.ts, STORE=sqlite), behind the same Broker and HistoryStore.
//
// Answers are Awaitable: a value when at hand (the memory engine always), else a promise; the
// callers chain with andThen (awaitable.ts). A part may throw synchronously only when it answers
// synchronously; async failures reject.
import type { Awaitable } from "../awaitable.ts";
import type { RoomState } from "../room-rules.ts";
import type { ReadMarkerStore } from "../read-markers.ts";
import type { RoomStateStore } from "../room-states.ts";
import type { DirectMessageFrame, Member, MessageFrame, MessageKind, StreamEntry, StreamEvent } from "../shared/protocol.ts";

/** What a node hands the engine so it can deliver to this node's sockets. */
export interface EngineSink {
  /** Writes an encoded frame to every local member of `room` (Bun's topic publish). */
  publishRoom(room: string, data: string): void;
  /** Writes an encoded frame to every local connection of user `userId`, but `exceptConn`. */
  sendToUser(userId: string, data: string, exceptConn?: string): void;
  /**
   * Membership of `room` changed (on this node or another). Called once per change, in the
   * order the engine applied them; the node coalesces these into `presence` frames. A join of
   * an id already present with another name is a rename. `origin` is the node that made the
   * change (for a dead node's leaves, the node that reaped it): exactly one node is the origin
   * of each change, so per-change side effects (webhooks) happen once in the cluster.
   */
  presence(room: string, joins: Member[], leaves: Member[], origin?: string): void;
  /** A control message from a node (this one included). */
  control(msg: ControlMessage): void;
  /**
   * The room's numbering restarted (a Redis that lost its data): seqs from here on count in
   * `pos.epoch`, after `pos.seq`. Called before the first message of the new epoch is delivered.
   */
  restarted(room: string, pos: StreamPosition): void;
}

/** Node-to-node instructions about users (not room traffic). */
export type ControlMessage =
  /** The user took a new display name: every node updates its connections of that user. */
  | { type: "renamed"; userId: string; name: string }
  /** Close every connection of the user, on every node, with CloseCode.Disconnected and `reason` (the server API). */
  | { type: "disconnect"; userId: string; reason: string }
  /** The user's read marker for `room` moved (read-markers.ts): their connections but `exceptConn` are told. */
  | { type: "read"; userId: string; room: string; seq: number; exceptConn: string }
  /** A room's state changed (room-access.ts): every node's cache takes it, unless it holds a later version. */
  | { type: "room"; room: string; state: RoomState }
  /** Take the user's connections out of `room` (a kick or ban): each is told `left` with the reason and who did it. */
  | { type: "removed"; userId: string; room: string; reason: "kicked" | "banned"; by: Member }
  /** The user was invited into `room`: their connections are told. */
  | { type: "invited"; userId: string; room: string; by: Member };

/** A chat message before the engine gives it its room and seq. */
export interface MessageDraft {
  id: string;
  ts: number;
  from: Member;
  kind: MessageKind;
  text: string;
}

/**
 * A change to a stored message before the engine gives it its seq. Who may make it is the
 * caller's rule (message-edits.ts); the engine checks, atomically with the change, that the
 * message is kept and not deleted.
 */
export type EventDraft =
  | { type: "edit"; id: string; ts: number; by: Member; text: string }
  | { type: "delete"; id: string; ts: number; by: Member }
  | { type: "react"; id: string; ts: number; by: Member; emoji: string; on: boolean };

/**
 * The outcome of a change: the event as stored and delivered, or `event: null` when it changed
 * nothing (a reaction that was already so: no seq is taken); `not_found` when the room keeps
 * no such message, or it was deleted.
 */
export type Applied = { ok: true; event: StreamEvent | null } | { ok: false; reason: "not_found" };

/** A client's idempotency key for a send: `cid` is unique per user. */
export interface SendKey {
  userId: string;
  cid: string;
}

/** What Broker.direct() sends: the recipient's copy and the sender's, and the send's key. */
export interface DirectDelivery {
  to: string | null;
  frame: DirectMessageFrame;
  from: string;
  mine: DirectMessageFrame;
  exceptConn?: string;
  key?: SendKey;
}

/** The outcome of a publish: the stored message, and whether it was a retry of an earlier one. */
export interface Published {
  message: MessageFrame;
  /** True when the SendKey was seen recently: nothing was published, `message` is the original. */
  duplicate: boolean;
}

/**
 * A room's stream position. `epoch` is opaque and changes whenever the room's seq numbering
 * restarts (a memory engine's new process, a Redis that lost its data), so a client's `since`
 * from another epoch is known to mean nothing.
 */
export interface StreamPosition {
  seq: number;
  epoch: string;
}

/** How many kept messages a page read asks for, and from where. `before` and `after` exclusive. */
export interface HistoryQuery {
  before?: number;
  after?: number;
  limit: number;
}

export interface HistoryPage extends StreamPosition {
  /**
   * In ascending seq order, messages in their current state. With `after`: the first `limit`
   * stream entries after it (messages and events: what recovery replays); otherwise the newest
   * `limit` messages (before `before`), without events (scrollback).
   */
  messages: StreamEntry[];
  /** More kept messages lie beyond the page in the direction read (newer with `after`, older otherwise). */
  more: boolean;
}

/** One page of the rooms that have members, ordered by name (code units). */
export interface RoomPage {
  rooms: { room: string; count: number }[];
  /** The cursor for the following page (the last room here); absent at the end. */
  next?: string;
}

export interface MemberPage {
  /** Members in the room, on every node. */
  count: number;
  /** Up to `limit` members ordered by id, those with an id greater than `after`. */
  users: Member[];
  /** The cursor for the following page (the last id here); absent at the end. */
  next?: string;
}

/**
 * Guarantees (test/engine-contract/, one suite per part):
 * - **Order**: a room's messages get strictly increasing seqs (1, 2, 3, … with no gaps within
 *   an epoch), and every subscriber of a room receives them in seq order, on every node.
 * - **Self-delivery**: publish() delivers to every member of the room, the sender's own
 *   connection included, and resolves only after the message was handed to this node's members
 *   (Redis: unless the connection to Redis was lost meanwhile; the message is then in history).
 * - **Idempotency**: a publish (or a direct message) with a SendKey seen in the last
 *   IDEMPOTENCY_WINDOW_MS publishes nothing and answers the original message (on every node).
 * - **Live delivery** reaches each connected member at most once; a member that missed some
 *   recovers them through HistoryStore.page({after}).
 */
export interface Broker {
  /** Assigns the room's next seq, appends to history and delivers to every room member. */
  publish(room: string, draft: MessageDraft, key?: SendKey): Awaitable<Published>;
  /**
   * Appends a change to a kept message as the room's next seq and delivers it, with the same
   * order, self-delivery and durability guarantees as publish().
   */
  apply(room: string, draft: EventDraft): Awaitable<Applied>;
  /** An unsequenced, unstored frame to every member of `room` on every node (typing, notices). */
  signal(room: string, data: string): Awaitable<void>;
  /**
   * A direct message in one step, on every node: `frame` to every connection of `to` (null: a
   * message to oneself) and `mine`, the sender's copy, to every connection of `from` but
   * `exceptConn`. With a SendKey seen in the last IDEMPOTENCY_WINDOW_MS (on any node) nothing
   * is sent and the sender's copy sent first is answered; otherwise null.
   */
  direct(d: DirectDelivery): Awaitable<DirectMessageFrame | null>;
  /** The sender's copy of the direct message first sent with `key` in the window (any node), or null. */
  sentDirect(key: SendKey): Awaitable<DirectMessageFrame | null>;
  /** A control message to every node, this one included. */
  control(msg: ControlMessage): Awaitable<void>;
}

export interface HistoryStore {
  /** The room's latest seq (0 before its first message) and its epoch. */
  position(room: string): Awaitable<StreamPosition>;
  /** A page of the room's kept messages (the newest `limit` when neither cursor is given). */
  page(room: string, query: HistoryQuery): Awaitable<HistoryPage>;
  /** The kept message `id` of the room in its current state (a tombstone if deleted), or null. */
  message(room: string, id: string): Awaitable<MessageFrame | null>;
}

export interface PresenceStore {
  /** Adds or updates `member` in the room (idempotent per id) and reports presence through the sink. */
  join(room: string, member: Member): Awaitable<void>;
  /** Removes `member` from the room and reports presence. */
  leave(room: string, member: Member): Awaitable<void>;
  /** One page of the room's members, ordered by id. */
  page(room: string, after: string | undefined, limit: number): Awaitable<MemberPage>;
  /**
   * The room's count and user `userId` as the page's one member (`users` empty when the user is
   * not in the room): a look-up whose cost does not grow with the room (`who {room, id}`).
   */
  find(room: string, userId: string): Awaitable<MemberPage>;
  /** Up to `limit` rooms with at least one member on any node, named after `after`, with their member counts. */
  rooms(after: string | undefined, limit: number): Awaitable<RoomPage>;
}

export interface NameRegistry {
  /** Atomically claims the name `key` for `member`; false when another user holds it. */
  claim(key: string, member: Member): Awaitable<boolean>;
  /** Releases `key` if `memberId` holds it (a no-op otherwise). */
  release(key: string, memberId: string): Awaitable<void>;
  /** Who holds the name `key`, on any node. */
  lookup(key: string): Awaitable<Member | null>;
  /** The member (id and current name) of user `userId` if it holds a name, i.e. is connected, on any node. */
  lookupUser(userId: string): Awaitable<Member | null>;
}

/** How long (ms) a publish's SendKey is remembered, at the least (the protocol's, shared/limits.ts). */
export { IDEMPOTENCY_WINDOW_MS } from "../shared/limits.ts";

export interface Engine {
  /** This node's id, unique in the cluster; stamped on cross-node envelopes and message ids. */
  readonly nodeId: string;
  /**
   * True while the engine can serve (/readyz reports 503 otherwise): from start() until
   * close() for the memory engine; for Redis, while connected with subscriptions and this
   * node's state restored.
   */
  readonly ready: boolean;
  readonly broker: Broker;
  readonly history: HistoryStore;
  readonly presence: PresenceStore;
  readonly names: NameRegistry;
  /** Rooms' states (owners, visibility, modes, roles, bans): room-states.ts. */
  readonly states: RoomStateStore;
  /** Connects (if needed) and starts delivering through `sink`. Rejects with a clear reason. */
  start(sink: EngineSink): Promise<void>;
  /** Releases everything this node holds and disconnects. Idempotent. */
  close(): Promise<void>;
  /** Messages held in memory for history (metrics; 0 when kept elsewhere). */
  historyMessages?(): number;
  /** Redis commands sent so far (metrics, benchmarks). */
  readonly commandsSent?: number;
  /** Where users' read markers are kept durably, when the engine's store keeps them (SQLite). */
  readonly readMarkers?: ReadMarkerStore;
}
