// RoomAccess: rooms' states as this node sees them, and the checks built on them — who may
// enter a room (join, and so read its history and members), who may post, and the one way a
// state changes (a rule of room-rules.ts applied over the version it read, retried when another
// change came first). The rules are pure (room-rules.ts); the states are the engine's
// (room-states.ts). In a cluster every node caches states, and each change reaches every node's
// cache as a control message, so joins and chats read Redis only on a cache miss.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import { decide, forbiddenRoom, mayEnter, mayPost, newRoomState, slowFor, type Action, type Actor, type Decision, type Refusal, type RoomState } from "./room-rules.ts";
import { ErrorCode } from "./shared/codes.ts";
import type { Session } from "./session.ts";

/** How long a cached state serves without reading the store again (a missed control message heals within it). */
export const STATE_CACHE_MS = 10_000;
/** Rooms whose states one node caches; past it the oldest go. */
export const MAX_CACHED_STATES = 50_000;
/** A change is tried this many times against concurrent ones before it answers `unavailable`. */
const MAX_TRIES = 8;

type Entered = { ok: true; state: RoomState } | ({ ok: false } & Refusal);

export class RoomAccess {
  /** room → its state and when it was read (ms). Only for a shared store (Redis): a local one answers at once. */
  private readonly cache: Map<string, { state: RoomState; at: number }> | null;

  constructor(
    private readonly engine: Engine,
    /** ANON_ROOMS: whether guests (no token) may create rooms by joining them. */
    private readonly anonRooms = true,
  ) {
    this.cache = engine.states.shared ? new Map() : null;
  }

  /** Who `s` acts as. */
  static actor(s: Session): Actor {
    return { member: s.member, admin: s.admin };
  }

  /** The room's state (null: it has none). */
  state(room: string): Awaitable<RoomState | null> {
    const c = this.cache;
    if (c === null) return this.engine.states.get(room);
    const hit = c.get(room);
    if (hit && Date.now() - hit.at < STATE_CACHE_MS) return hit.state;
    // An expired entry goes before the read: kept, it would outrank (by version) what the store
    // says now, for good, once Redis lost its data and versions count from 1 again.
    if (hit) c.delete(room);
    // A miss is not cached: a room's first join (on any node) makes its state without telling the
    // other nodes, so a cached "no state" would hide the new owner (and serve a stale view) here.
    return andThen(this.engine.states.get(room), (state) => (state === null ? null : this.remember(room, state)));
  }

  /**
   * Whether `s` may enter `room`: its state (made on the room's first join, with the joiner as
   * owner), or the refusal. A guest may not create a room when ANON_ROOMS=0, and is told exactly
   * what a stranger at a private room is told.
   */
  enter(s: Session, room: string): Awaitable<Entered> {
    return andThen(this.state(room), (had): Awaitable<Entered> => {
      if (had) return this.check(had, s, room);
      if (s.guest && !this.anonRooms) return { ok: false, ...forbiddenRoom(room) };
      return andThen(this.engine.states.create(room, newRoomState(s.userId)), (state) => this.check(this.remember(room, state), s, room));
    });
  }

  private check(state: RoomState, s: Session, room: string): Entered {
    const no = mayEnter(state, RoomAccess.actor(s), room, Date.now());
    return no ? { ok: false, ...no } : { ok: true, state };
  }

  /** Whether `s` may post into `room` now: null, or the refusal (muted, moderated, slowmode). */
  post(s: Session, room: string): Awaitable<Refusal | null> {
    return andThen(this.state(room), (state) => {
      if (state === null) return null;
      const actor = RoomAccess.actor(s);
      const now = Date.now();
      const no = mayPost(state, actor, room, now);
      if (no) return no;
      const slow = slowFor(state, actor);
      if (slow === 0) return null;
      return andThen(this.engine.states.slow(room, s.userId, slow * 1000), (left) =>
        left === 0 ? null : { code: ErrorCode.SlowMode, message: `room ${room} is in slowmode: you may post again in ${Math.ceil(left / 1000)} seconds` },
      );
    });
  }

  /**
   * Applies `action` by `actor` to the room's state, over the version it read (retried when
   * another change came first), and tells every node's cache. A room without a state gets one
   * first, with no owner (only the server API acts on a room nobody joined).
   */
  change(room: string, actor: Actor, action: Action, tries = MAX_TRIES): Awaitable<Decision> {
    return andThen(this.fresh(room), (prev) => {
      const d = decide(prev, actor, action, Date.now());
      if (!d.ok || d.next === null) return d;
      const next = d.next;
      return andThen(this.engine.states.replace(room, prev, next), (written): Awaitable<Decision> => {
        if (written) return andThen(this.engine.broker.control({ type: "room", room, state: next }), () => d);
        this.cache?.delete(room);
        if (tries > 1) return this.change(room, actor, action, tries - 1);
        return { ok: false, code: ErrorCode.Unavailable, message: "the room is changing too fast; try again" };
      });
    });
  }

  /** The state as kept now (not cached), made ownerless if there is none. */
  private fresh(room: string): Awaitable<RoomState> {
    return andThen(this.engine.states.get(room), (s) => s ?? this.engine.states.create(room, newRoomState("")));
  }

  /** A node changed a room's state: the cache takes it unless it already holds a later version. */
  onControl(msg: Extract<ControlMessage, { type: "room" }>): void {
    const c = this.cache;
    if (c === null) return;
    const had = c.get(msg.room)?.state;
    if (!had || had.v <= msg.state.v) this.remember(msg.room, msg.state);
  }

  private remember(room: string, state: RoomState): RoomState {
    const c = this.cache;
    if (c === null) return state;
    const had = c.get(room)?.state;
    // A read that raced a change keeps the later version.
    const keep = had && had.v > state.v ? had : state;
    c.delete(room);
    c.set(room, { state: keep, at: Date.now() });
    if (c.size > MAX_CACHED_STATES) c.delete(c.keys().next().value!);
    return keep;
  }
}
