// Who is typing, per room, from the server's `typing {room, users}` batches: each user listed
// counts as typing for TYPING_TTL_MS after the frame, or until their next message in the room.
// This user's own entries (from another tab) are left out. Changes are reported per room.
import { TYPING_TTL_MS } from "../shared/limits.ts";
import type { Member } from "../shared/protocol.ts";

type Timer = ReturnType<typeof setTimeout>;

export interface Typists {
  /** The users typing in `room` now, in the order they started. */
  in(room: string): Member[];
  /** A `typing` frame; `me` (this user's id) is skipped. */
  apply(room: string, users: readonly Member[], me: string | null): void;
  /** The user's message arrived (or their report ran out): no longer typing. */
  spoke(room: string, userId: string): void;
  /** Forgets a room (left) or everything (`room` absent: the connection is gone, reports with it). */
  clear(room?: string): void;
}

/** `changed`: a room's list changed. */
export function createTypists(changed: (room: string, users: Member[]) => void, ttlMs = TYPING_TTL_MS): Typists {
  const rooms = new Map<string, Map<string, { member: Member; timer: Timer }>>();
  const list = (room: string) => [...(rooms.get(room)?.values() ?? [])].map((e) => e.member);
  const spoke = (room: string, userId: string) => {
    const map = rooms.get(room);
    const had = map?.get(userId);
    if (!map || !had) return;
    clearTimeout(had.timer);
    map.delete(userId);
    if (map.size === 0) rooms.delete(room);
    changed(room, list(room));
  };
  return {
    in: list,
    apply(room, users, me) {
      let map = rooms.get(room);
      let moved = false;
      for (const u of users) {
        if (u.id === me) continue;
        if (!map) rooms.set(room, (map = new Map()));
        const had = map.get(u.id);
        if (had) clearTimeout(had.timer);
        if (!had || had.member.name !== u.name) moved = true;
        map.set(u.id, { member: u, timer: setTimeout(() => spoke(room, u.id), ttlMs) });
      }
      if (moved) changed(room, list(room));
    },
    spoke,
    clear(room) {
      for (const [name, map] of rooms) {
        if (room !== undefined && name !== room) continue;
        for (const e of map.values()) clearTimeout(e.timer);
        rooms.delete(name);
        changed(name, []);
      }
    },
  };
}
