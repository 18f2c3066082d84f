// Where rooms' states (room-rules.ts) are kept, per engine: in memory (MemoryRoomStates, the
// memory engine with STORE=memory), in DATA_DIR/hubbub.db (engine/sqlite-room-states.ts), or in
// Redis for a cluster (engine/redis-room-states.ts). A store only keeps; the rules and the
// per-node cache are room-access.ts's.
import { z } from "zod";
import type { Awaitable } from "./awaitable.ts";
import { isPlain, type RoomState } from "./room-rules.ts";

/** A kept state's shape, checked where one is read back (a database row, Redis, another node). */
export const RoomStateSchema = z.object({
  v: z.number().int().min(1),
  owner: z.string(),
  topic: z.string(),
  visibility: z.enum(["public", "private"]),
  moderated: z.boolean(),
  slowmode: z.number().int().min(0),
  roles: z.record(z.string(), z.enum(["moderator", "member"])),
  bans: z.record(z.string(), z.number()),
  mutes: z.record(z.string(), z.number()),
}) satisfies z.ZodType<RoomState>;

/** A kept state from its JSON; throws one clear line when it is not one. */
export function parseRoomState(room: string, raw: string): RoomState {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = null;
  }
  const r = RoomStateSchema.safeParse(json);
  if (!r.success) throw new Error(`the kept state of room ${room} is damaged: ${r.error.issues[0]?.message ?? "not JSON"}`);
  return r.data;
}

/**
 * Guarantees: `create` is atomic (two first joins on two nodes make one owner); `replace` writes
 * only over the version it read (`prev.v`), so two moderators' concurrent changes never undo each
 * other: the loser reads again and retries. Answers may be synchronous (memory, SQLite) or not.
 */
export interface RoomStateStore {
  get(room: string): Awaitable<RoomState | null>;
  /** Keeps `state` unless the room has one; answers the room's state as kept. */
  create(room: string, state: RoomState): Awaitable<RoomState>;
  /** Writes `next` if the kept state is still at version `prev.v`; false when another change came first. */
  replace(room: string, prev: RoomState, next: RoomState): Awaitable<boolean>;
  /**
   * Slowmode's clock: records a post by `userId` into `room` unless it posted there within the
   * last `ms`. Answers 0 when the post may go, else the ms left.
   */
  slow(room: string, userId: string, ms: number): Awaitable<number>;
  /** The room emptied and never had a message: its state may go if it says nothing but its owner (the memory engine's rooms cost nothing lasting). */
  forgetPlain?(room: string): void;
  /** Other nodes change these states too (Redis): room-access.ts caches them, told of changes by control messages. */
  readonly shared?: boolean;
  /** Rooms with a state (tests). */
  readonly size?: number;
}

/** Slowmode's clock in this process: room → user → when they last posted (ms). */
export class SlowClock {
  private readonly rooms = new Map<string, Map<string, number>>();

  take(room: string, userId: string, ms: number, now = Date.now()): number {
    let users = this.rooms.get(room);
    if (!users) this.rooms.set(room, (users = new Map()));
    const last = users.get(userId);
    if (last !== undefined && now - last < ms) return ms - (now - last);
    users.set(userId, now);
    // Entries older than any slowmode can be dropped; a sweep at a thousand keeps this bounded.
    if (users.size > 1000) for (const [id, t] of users) if (now - t >= ms) users.delete(id);
    return 0;
  }
}

export class MemoryRoomStates implements RoomStateStore {
  private readonly states = new Map<string, RoomState>();
  private readonly clock = new SlowClock();

  get(room: string): RoomState | null {
    return this.states.get(room) ?? null;
  }

  create(room: string, state: RoomState): RoomState {
    const had = this.states.get(room);
    if (had) return had;
    this.states.set(room, state);
    return state;
  }

  replace(room: string, prev: RoomState, next: RoomState): boolean {
    if (this.states.get(room)?.v !== prev.v) return false;
    this.states.set(room, next);
    return true;
  }

  slow(room: string, userId: string, ms: number): number {
    return this.clock.take(room, userId, ms);
  }

  forgetPlain(room: string): void {
    const s = this.states.get(room);
    if (s && isPlain(s)) this.states.delete(room);
  }

  get size(): number {
    return this.states.size;
  }
}
