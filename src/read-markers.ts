// Read markers: how far each user has read each room, as a seq in the room's epoch. A `read
// {room, seq}` raises the user's marker (never lowers it; capped at the room's latest seq), is
// answered with the marker as kept, and is told to the user's other connections in the room on
// every node (a control message), so reading in one tab clears the unread count in the others.
// A join's `users` answer carries the marker as `lastRead`, so counts survive reconnects.
//
// The markers live behind ReadMarkerStore: in DATA_DIR/hubbub.db with the durable store
// (engine/sqlite-markers.ts), so unread counts survive a restart with the messages; otherwise in
// memory (MemoryReadMarkers), for as long as the process and so the memory stream's epoch lasts.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { Rooms } from "./rooms.ts";
import type { Ref } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

/** A position a user has read up to; a seq from another epoch than the room's means nothing. */
export interface ReadMarker {
  seq: number;
  epoch: string;
}

/**
 * Where read markers are kept, per user id and room. Guarantees: `advance` is monotonic within
 * an epoch (a lower seq leaves the marker as it is) and a marker of another epoch is replaced;
 * both calls may answer synchronously (memory) or with a promise (a database).
 */
export interface ReadMarkerStore {
  get(userId: string, room: string): Awaitable<ReadMarker | null>;
  /** Raises the marker to `to` (or replaces one of another epoch); answers the marker as kept. */
  advance(userId: string, room: string, to: ReadMarker): Awaitable<ReadMarker>;
}

/** Users whose markers the memory store keeps; past it the least recently active user's are forgotten. */
export const MAX_MEMORY_MARKER_USERS = 100_000;

export class MemoryReadMarkers implements ReadMarkerStore {
  /** user id → room → marker; in order of each user's last advance (oldest first). */
  private readonly users = new Map<string, Map<string, ReadMarker>>();

  constructor(private readonly maxUsers = MAX_MEMORY_MARKER_USERS) {}

  get(userId: string, room: string): ReadMarker | null {
    return this.users.get(userId)?.get(room) ?? null;
  }

  advance(userId: string, room: string, to: ReadMarker): ReadMarker {
    let rooms = this.users.get(userId);
    if (rooms) this.users.delete(userId);
    else rooms = new Map();
    this.users.set(userId, rooms);
    if (this.users.size > this.maxUsers) this.users.delete(this.users.keys().next().value!);
    const had = rooms.get(room);
    if (had && had.epoch === to.epoch && had.seq >= to.seq) return had;
    rooms.set(room, to);
    return to;
  }

  /** Users with markers (tests). */
  get size(): number {
    return this.users.size;
  }
}

type ReadControl = Extract<ControlMessage, { type: "read" }>;

export class ReadMarkers {
  constructor(
    private readonly store: ReadMarkerStore,
    private readonly rooms: Rooms,
    private readonly engine: Engine,
    private readonly hub: Hub,
  ) {}

  /** A `read` frame: raise the marker, answer it, tell the user's other connections when it moved. */
  mark(s: Session, raw: string, seq: number, ref: Ref | undefined): Awaitable<void> {
    const room = this.rooms.memberRoom(s, raw, ref);
    if (room === null) return;
    const userId = s.userId;
    return andThen(this.engine.history.position(room), (pos) => {
      const before = this.store.get(userId, room);
      return andThen(before, (had) =>
        andThen(this.store.advance(userId, room, { seq: Math.min(seq, pos.seq), epoch: pos.epoch }), (kept) => {
          s.send(ref === undefined ? { type: "read", room, seq: kept.seq } : { type: "read", room, seq: kept.seq, ref });
          if (had && had.epoch === kept.epoch && had.seq === kept.seq) return;
          return this.engine.broker.control({ type: "read", userId, room, seq: kept.seq, exceptConn: s.conn });
        }),
      );
    });
  }

  /** The user's marker for the room in `epoch`, if it has one (a join's `lastRead`). */
  lastRead(userId: string, room: string, epoch: string): Awaitable<number | undefined> {
    return andThen(this.store.get(userId, room), (m) => (m && m.epoch === epoch ? m.seq : undefined));
  }

  /** A marker moved on some node: this node's other connections of the user in the room hear it. */
  onControl(msg: ReadControl): void {
    const data = encode({ type: "read", room: msg.room, seq: msg.seq });
    for (const s of this.hub.sessionsOf(msg.userId)) if (s.conn !== msg.exceptConn && s.rooms.includes(msg.room)) s.sendEncoded(data);
  }
}
