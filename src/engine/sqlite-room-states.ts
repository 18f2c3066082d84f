// Rooms' states in DATA_DIR/hubbub.db (the `room_states` table, schema version 4), so owners,
// private rooms, invites and bans survive a restart. Each write is its own statement, outside
// the message commits: a moderation action is rare, and its answer waits for it.
import type { Database, Statement } from "bun:sqlite";
import { isPlain, type RoomState } from "../room-rules.ts";
import { SlowClock, parseRoomState, type RoomStateStore } from "../room-states.ts";

export class SqliteRoomStates implements RoomStateStore {
  private readonly q: Record<"get" | "create" | "replace" | "remove", Statement>;
  private readonly clock = new SlowClock();

  constructor(db: Database) {
    this.q = {
      get: db.prepare("SELECT state FROM room_states WHERE room = ?"),
      create: db.prepare("INSERT INTO room_states (room, v, state) VALUES (?, ?, ?) ON CONFLICT (room) DO NOTHING"),
      replace: db.prepare("UPDATE room_states SET v = ?, state = ? WHERE room = ? AND v = ?"),
      remove: db.prepare("DELETE FROM room_states WHERE room = ?"),
    };
  }

  get(room: string): RoomState | null {
    const row = this.q.get.get(room) as { state: string } | null;
    return row ? parseRoomState(room, row.state) : null;
  }

  create(room: string, state: RoomState): RoomState {
    const r = this.q.create.run(room, state.v, JSON.stringify(state));
    return r.changes === 1 ? state : (this.get(room) ?? state);
  }

  replace(room: string, prev: RoomState, next: RoomState): boolean {
    return this.q.replace.run(next.v, JSON.stringify(next), room, prev.v).changes === 1;
  }

  slow(room: string, userId: string, ms: number): number {
    return this.clock.take(room, userId, ms);
  }

  forgetPlain(room: string): void {
    const s = this.get(room);
    if (s && isPlain(s)) this.q.remove.run(room);
  }
}
