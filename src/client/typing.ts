// Who is typing, per room, from the server's `typing {room, users}` batches: each user listed
// counts as typing for TYPING_TTL_MS after the frame, or until their next message in the room.
// This user's own entries (from another tab) are left out. Changes are reported per room.
import { TYPING_TTL_MS } from "../shared/limits.ts";
import type { Member } from "../shared/protocol.ts";

type Timer = ReturnType<typeof setTimeout>;

export class Typists {
  private readonly rooms = new Map<string, Map<string, { member: Member; timer: Timer }>>();

  constructor(
    /** A room's list changed. */
    private readonly changed: (room: string, users: Member[]) => void,
    private readonly ttlMs = TYPING_TTL_MS,
  ) {}

  /** The users typing in `room` now, in the order they started. */
  in(room: string): Member[] {
    return [...(this.rooms.get(room)?.values() ?? [])].map((e) => e.member);
  }

  /** A `typing` frame; `me` (this user's id) is skipped. */
  apply(room: string, users: readonly Member[], me: string | null): void {
    let map = this.rooms.get(room);
    let changed = false;
    for (const u of users) {
      if (u.id === me) continue;
      if (!map) this.rooms.set(room, (map = new Map()));
      const had = map.get(u.id);
      if (had) clearTimeout(had.timer);
      if (!had || had.member.name !== u.name) changed = true;
      map.set(u.id, { member: u, timer: setTimeout(() => this.spoke(room, u.id), this.ttlMs) });
    }
    if (changed) this.changed(room, this.in(room));
  }

  /** The user's message arrived (or their report ran out): no longer typing. */
  spoke(room: string, userId: string): void {
    const map = this.rooms.get(room);
    const had = map?.get(userId);
    if (!map || !had) return;
    clearTimeout(had.timer);
    map.delete(userId);
    if (map.size === 0) this.rooms.delete(room);
    this.changed(room, this.in(room));
  }

  /** Forgets a room (left) or everything (`room` absent: the connection is gone, reports with it). */
  clear(room?: string): void {
    for (const [name, map] of this.rooms) {
      if (room !== undefined && name !== room) continue;
      for (const e of map.values()) clearTimeout(e.timer);
      this.rooms.delete(name);
      this.changed(name, []);
    }
  }
}
