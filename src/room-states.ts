// Where rooms' states (room-rules.ts) are kept, per engine: in memory (MemoryRoomStates, the
// memory engine with STORE=memory), in DATA_DIR/hubbub.db (engine/sqlite-room-states.ts), or in
// Redis for a cluster (engine/redis-room-states.ts). A store only keeps; the rules and the
// per-node cache are room-access.ts's.
import { z } from "zod";
import type { Awaitable } from "./awaitable.ts";
import { idRecord, isPlain, type RoomState } from "./room-rules.ts";

/** Everything of a kept state but its user-id-keyed lists, which zod would rebuild on a plain `{}`. */
const Scalars = z.object({
  v: z.number().int().min(1),
  owner: z.string(),
  topic: z.string(),
  visibility: z.enum(["public", "private"]),
  moderated: z.boolean(),
  slowmode: z.number().int().min(0),
});

/**
 * A user-id-keyed list of a kept state, checked value by value into a prototype-free record
 * (idRecord): through zod's record a user id `__proto__` would set the copy's prototype rather
 * than be a key, and the entry would be lost.
 */
function idList<T>(raw: unknown, ok: (v: unknown) => v is T): Record<string, T> | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const out = idRecord<T>(raw as Record<string, T>);
  for (const id in out) if (!ok(out[id])) return null;
  return out;
}

const isRole = (v: unknown): v is "moderator" | "member" => v === "moderator" || v === "member";
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A kept state's shape, checked where one is read back (a database row, Redis, another node). */
export const RoomStateSchema = z.unknown().transform((raw, ctx): RoomState => {
  const scalars = Scalars.safeParse(raw);
  const o = raw as Record<string, unknown>;
  const roles = scalars.success ? idList(o.roles, isRole) : null;
  const bans = scalars.success ? idList(o.bans, isTime) : null;
  const mutes = scalars.success ? idList(o.mutes, isTime) : null;
  if (!scalars.success || !roles || !bans || !mutes) {
    ctx.addIssue({ code: "custom", message: scalars.success ? "roles, bans or mutes are not lists of user ids" : (scalars.error.issues[0]?.message ?? "not a room state") });
    return z.NEVER;
  }
  return { ...scalars.data, roles, bans, mutes };
});

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
