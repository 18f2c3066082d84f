// The Engine seam: everything that must be shared between nodes when Hubbub runs as a cluster
// (room fan-out, per-room seq, history, presence, names, direct delivery) goes through this
// interface. MemoryEngine (engine/memory.ts) is the single-node default; a Redis engine
// implements the same contract for several nodes. test/engine-contract.ts is the shared suite.
import type { Awaitable } from "../awaitable.ts";
import type { DirectMessageFrame, Member, MessageFrame, MessageKind } from "../protocol.ts";

/** What a node hands the engine so it can deliver to this node's sockets. */
export interface EngineSink {
  /** Writes an encoded frame to every local member of `room` (Bun's topic publish). */
  publishRoom(room: string, data: string): void;
  /** Writes an encoded frame to every local connection of user `userId` (direct messages). */
  sendToUser(userId: string, data: string): void;
  /**
   * Membership of `room` changed (on this node or another). Called once per change, in the
   * order the engine applied them; the node coalesces these into `presence` frames.
   */
  presence(room: string, joins: Member[], leaves: Member[]): void;
}

/** A chat message before the engine gives it its room and seq. */
export interface MessageDraft {
  id: string;
  ts: number;
  from: Member;
  kind: MessageKind;
  text: string;
}

export interface RoomSnapshot {
  /** The room's latest seq (0 before its first message). */
  seq: number;
  /** Every member of the room, on every node. */
  users: Member[];
}

/**
 * Guarantees every engine gives (checked by test/engine-contract.ts):
 * - **Order**: a room's messages get strictly increasing seq numbers (1, 2, 3, … with no
 *   gaps), and every subscriber of a room receives them in seq order, on every node.
 * - **Self-delivery**: publish() delivers to every member of the room, the sender's own
 *   connection included (the sender sees its message in the stream, in order). publish()
 *   resolves only after the message was handed to this node's members, so a sender gets its
 *   message before its ack. (Redis: unless the connection to Redis was lost meanwhile; the
 *   message is then in history.)
 * - **At-most-once live delivery**: a connected member receives each message at most once
 *   from the live stream; missed messages are recovered with history(room, since).
 * - **History**: the last HISTORY_SIZE messages per room are kept; history() returns them in
 *   seq order.
 * - **Presence** is reported through the sink for every join and leave, on every node with
 *   members in the room, in the order the engine applied the changes; it may arrive after the
 *   join()/leave() promise resolved.
 * - **Names** are unique per key across all nodes; claimName() is atomic.
 * - **Direct messages** reach the user's connections on whichever node they are, possibly
 *   after sendDirect() resolved.
 * - Methods never throw synchronously; failures reject the returned promise. A method may
 *   return its result directly instead of a promise when it has it at hand (the memory engine
 *   always does, so admission and chat run synchronously; see awaitable.ts): callers handle both.
 * Cross-node envelopes carry `nodeId` and a `type` tag (engine/redis-envelope.ts).
 */
export interface Engine {
  /** This node's id, unique in the cluster; stamped on cross-node envelopes and message ids. */
  readonly nodeId: string;

  /**
   * True while the engine can serve (/readyz reports 503 otherwise): from start() until
   * close() for the memory engine; for Redis, while connected with subscriptions and this
   * node's state restored.
   */
  readonly ready: boolean;

  /** Connects (if needed) and starts delivering through `sink`. Rejects with a clear reason. */
  start(sink: EngineSink): Promise<void>;

  /** Assigns the room's next seq, appends to history and delivers to every room member. */
  publish(room: string, draft: MessageDraft): Awaitable<MessageFrame>;

  /** Messages of `room` with seq > `since` (all kept ones when absent), at most the `limit` newest. */
  history(room: string, since?: number, limit?: number): Awaitable<MessageFrame[]>;

  /** The room's latest seq and its complete user list. */
  snapshot(room: string): Awaitable<RoomSnapshot>;

  /** Adds `member` to the room's user list (idempotent per member id) and reports presence. */
  join(room: string, member: Member): Awaitable<void>;

  /** Removes `member` from the room's user list and reports presence. */
  leave(room: string, member: Member): Awaitable<void>;

  /** Atomically claims the name `key` for `member`; false when someone else holds it. */
  claimName(key: string, member: Member): Awaitable<boolean>;

  /** Releases `key` if `memberId` holds it (a no-op otherwise). */
  releaseName(key: string, memberId: string): Awaitable<void>;

  /** Who holds the name `key`, on any node. */
  lookupName(key: string): Awaitable<Member | null>;

  /** Delivers a direct message to every connection of user `toId`, on whichever node it is. */
  sendDirect(toId: string, frame: DirectMessageFrame): Awaitable<void>;

  /** Releases everything this node holds and disconnects. Idempotent. */
  close(): Promise<void>;
}
