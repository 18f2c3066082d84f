// Rooms' states in DATA_DIR/hubbub.db (the `room_states` table, schema version 4), so owners,
// private rooms, invites and bans survive a restart. Each write is its own statement, outside
// the message commits: a moderation action is rare, and its answer waits for it.
//
// Every chat and join reads its room's state, so kept states are also held in memory, as read
// or written: this process is the database's only writer (its lock, sqlite-open.ts), so what it
// holds is never stale, and a chat costs a Map lookup rather than a SELECT, a JSON parse and a
// check. A room without a state is not held (its first join makes one, through create()).
import type { Database, Statement } from "bun:sqlite";
import { isPlain, type RoomState } from "../room-rules.ts";
import { SlowClock, parseRoomState, type RoomStateStore } from "../room-states.ts";

/** Kept states held in memory; past it the least recently read go (and are read again when needed). */
export const MAX_HELD_STATES = 50_000;

export class SqliteRoomStates implements RoomStateStore {
  private readonly q: Record<"get" | "create" | "replace" | "remove", Statement>;
  private readonly clock = new SlowClock();
  /** Kept states, by room, oldest read first; at most MAX_HELD_STATES. */
  private readonly held = new Map<string, RoomState>();

  constructor(db: Database) {
    this.q = {
      get: db.prepare("SELECT state FROM room_states WHERE room = ?"),
      create: db.prepare("INSERT INTO room_states (room, v, state) VALUES (?, ?, ?) ON CONFLICT (room) DO NOTHING"),
      replace: db.prepare("UPDATE room_states SET v = ?, state = ? WHERE room = ? AND v = ?"),
      remove: db.prepare("DELETE FROM room_states WHERE room = ?"),
    };
  }

  get(room: string): RoomState | null {
    const hit = this.held.get(room);
    if (hit) return hit;
    const row = this.q.get.get(room) as { state: string } | null;
    return row ? this.hold(room, parseRoomState(room, row.state)) : null;
  }

  create(room: string, state: RoomState): RoomState {
    const r = this.q.create.run(room, state.v, JSON.stringify(state));
    return r.changes === 1 ? this.hold(room, state) : (this.get(room) ?? state);
  }

  replace(room: string, prev: RoomState, next: RoomState): boolean {
    const written = this.q.replace.run(next.v, JSON.stringify(next), room, prev.v).changes === 1;
    if (written) this.hold(room, next);
    return written;
  }

  private hold(room: string, state: RoomState): RoomState {
    this.held.delete(room);
    this.held.set(room, state);
    if (this.held.size > MAX_HELD_STATES) this.held.delete(this.held.keys().next().value!);
    return state;
  }

  slow(room: string, userId: string, ms: number): number {
    return this.clock.take(room, userId, ms);
  }

  forgetPlain(room: string): void {
    const s = this.get(room);
    if (!s || !isPlain(s)) return;
    this.q.remove.run(room);
    this.held.delete(room);
  }
}
