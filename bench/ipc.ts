// The messages between the orchestrator (loadgen.ts) and its worker processes (worker.ts),
// over Bun's IPC channel with structured-clone serialisation. Every request carries an `id`
// that its reply echoes.

/** One client a worker opens: `<urls[node]>?room=<room>&name=<name>`. */
export interface ClientSpec {
  room: string;
  name: string;
  /** The server it connects to, as an index into the connect request's `urls` (a cluster's node); 0 when absent. */
  node?: number;
}

/** A Histogram shipped over IPC: its counts (µs) and its exact maximum. */
export interface HistogramData {
  counts: Uint32Array;
  max: number;
}

export type Request =
  | {
      op: "connect";
      /** The servers clients connect to: one, or a cluster's nodes. */
      urls: string[];
      clients: ClientSpec[];
      /** Handshakes a worker keeps in flight at once. */
      concurrency: number;
      /** Clients not ready by then count as failed. */
      timeoutMs: number;
      /**
       * Track every client's user list until it holds this many members (presence storm); 0 = off.
       * In a large room (PRESENCE_LIST_MAX) a client has the count, not the list: complete when the count says so.
       */
      trackMembers: number;
      /** Ask for batched frames (`?batch=1`, docs/protocol.md); the worker splits them. */
      batch?: boolean;
    }
  | {
      op: "send";
      step: number;
      /** Local client indexes that send, round-robin, each at `ratePerSender` messages/s. */
      senders: number[];
      ratePerSender: number;
      durationMs: number;
      /** Characters of padding after each stamp. */
      padding: number;
    }
  | { op: "stats" }
  | { op: "collect" }
  | { op: "close" };

export type RequestOf<O extends Request["op"]> = Extract<Request, { op: O }>;

export interface ConnectReply {
  ready: number;
  failed: number;
  /** Time from `new WebSocket` to the `users` frame, per client: a Histogram's counts (µs). */
  connectCounts: Uint32Array;
  connectMax: number;
  /** When the first handshake began and the last client became ready (clockUs). */
  startedUs: number;
  lastReadyUs: number;
}

export interface SendReply {
  /** Messages each sender sent, in the order of `senders`. */
  sent: number[];
  /** Worst lag of the send schedule (ms): how far behind its open-loop plan the worker fell. */
  maxLagMs: number;
}

export interface StatsReply {
  delivered: number;
  /** Clients whose tracked user list is complete. */
  complete: number;
}

export interface CollectReply {
  /** Deliveries of the current step's messages. */
  delivered: number;
  /** Deliveries of an earlier step's messages that arrived late. */
  stale: number;
  /** Latency of this step's deliveries, by the node the receiving client is on (index into `urls`). */
  latencyByNode: HistogramData[];
  /** Characters of every frame received in this step (ASCII: bytes). */
  bytes: number;
  frames: number;
  errors: number;
  firstError: string;
  /** Clients closed by the server (code, count). */
  closes: Record<string, number>;
  presence: PresenceReply;
}

export interface PresenceReply {
  /** `presence` frames and their bytes, over all tracked clients. */
  frames: number;
  bytes: number;
  /** `users` snapshots and their bytes. */
  snapshotBytes: number;
  /**
   * The same, counted only while the receiver's room is large (above PRESENCE_LIST_MAX): the
   * joins answered as large, their snapshots' bytes, and the presence bytes received then.
   */
  largeJoins: number;
  largeSnapshotBytes: number;
  largePresenceBytes: number;
  /** Tracked clients whose list reached the expected size, and when the last did (clockUs). */
  complete: number;
  lastCompleteUs: number;
}

export type Reply<O extends Request["op"]> = O extends "connect"
  ? ConnectReply
  : O extends "send"
    ? SendReply
    : O extends "stats"
      ? StatsReply
      : O extends "collect"
        ? CollectReply
        : null;
