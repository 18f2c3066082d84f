// Moderation: the room actions (topic, invite, kick, ban, unban, mute, unmute, role, mode) of
// connections and of the server API, and the listing of public rooms. An action is decided by
// the rules (room-rules.ts) and written by RoomAccess; then its effects follow, on every node:
// the room's stream gets the change as a `room` message (so history and recovery show who did
// what), a kicked or banned user's connections are taken out of the room (a control message),
// an invited user is told. The requester's answer is `ok`, or the refusal as an `error`.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { Messages } from "./messages.ts";
import { nameKey, normalizeName } from "./names.ts";
import { RoomAccess } from "./room-access.ts";
import type { Action, Actor, Refusal, RoomState } from "./room-rules.ts";
import type { Rooms } from "./rooms.ts";
import { ErrorCode } from "./shared/codes.ts";
import { ROOMS_PAGE } from "./shared/limits.ts";
import type { Member, Ref, RoomActionFrame, RoomsFrame } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

/** `changed`: false when the action changed nothing (a ban of someone banned): nothing is recorded then. */
export type ActionOutcome = { ok: true; changed: boolean } | ({ ok: false } & Refusal);

/** A room of a listing with its state (null: it has none, so it is public). */
export type ListedRoom = { room: string; count: number; state: RoomState | null };

/** A room action as a frame or the API gives it: the target still a name or a user id. */
export type ActionRequest = RoomActionFrame extends infer F ? (F extends RoomActionFrame ? Omit<F, "room" | "ref"> : never) : never;

export class Moderation {
  constructor(
    private readonly hub: Hub,
    private readonly rooms: Rooms,
    private readonly access: RoomAccess,
    private readonly engine: Engine,
    private readonly messages: Messages,
  ) {}

  /** A connection's room action, in a room it is in (no room: its first, for slash commands). */
  act(s: Session, f: Omit<RoomActionFrame, "room"> & { room: string | undefined }): Awaitable<void> {
    const room = this.rooms.memberRoom(s, f.room, f.ref);
    if (room === null) return;
    const { room: _, ref, ...request } = f;
    return andThen(this.actAs(room, RoomAccess.actor(s), request as ActionRequest), (r) => this.answer(s, r, ref));
  }

  /** An action in `room` by `actor` (a member, or the server itself): decided, written, and its effects carried out. */
  actAs(room: string, actor: Actor, request: ActionRequest): Awaitable<ActionOutcome> {
    return andThen(this.resolve(request), (action): Awaitable<ActionOutcome> => {
      if (action === null) return { ok: false, code: ErrorCode.NoSuchUser, message: `no connected user is called ${(request as { user: string }).user.slice(0, 64)}` };
      return andThen(this.access.change(room, actor, action), (d): Awaitable<ActionOutcome> => {
        if (!d.ok) return d;
        if (d.next === null) return { ok: true, changed: false };
        return andThen(this.effects(room, actor.member, action), () => ({ ok: true, changed: true }) as const);
      });
    });
  }

  private answer(s: Session, r: ActionOutcome, ref: Ref | undefined): void {
    if (!r.ok) return s.fail(r.code, r.message, ref);
    if (ref !== undefined) s.send({ type: "ok", ref });
  }

  /**
   * The member a request names: a connected user by name, else by id; a user who is not
   * connected only by id, and only for what makes sense offline (not a kick).
   */
  private resolve(request: ActionRequest): Awaitable<Action | null> {
    if (request.type === "topic") return { type: "topic", text: request.text.trim() };
    if (request.type === "mode") return request as Action;
    const raw = request.user;
    const name = normalizeName(raw);
    return andThen(name === null ? null : this.engine.names.lookup(nameKey(name)), (byName) =>
      andThen(byName ?? this.engine.names.lookupUser(raw), (user: Member | null) => {
        if (user === null && request.type === "kick") return null;
        return { ...request, user: user ?? { id: raw, name: raw } } as Action;
      }),
    );
  }

  /** What follows a change: the stream's record of it, then the removal or the invitation. */
  private effects(room: string, by: Member, action: Action): Awaitable<void> {
    const recorded = this.rooms.post(room, { id: this.messages.nextId(), ts: Date.now(), from: by, kind: "room", text: JSON.stringify(action) });
    return andThen(recorded, () => {
      if (action.type === "kick" || action.type === "ban") {
        return this.engine.broker.control({ type: "removed", userId: action.user.id, room, reason: action.type === "kick" ? "kicked" : "banned", by });
      }
      if (action.type === "invite") return this.engine.broker.control({ type: "invited", userId: action.user.id, room, by });
    });
  }

  /** A page of the public rooms with members: counts and topics (`list`, `/list`). Private rooms are never listed. */
  list(s: Session, cursor: string | undefined, ref: Ref | undefined): Awaitable<void> {
    return andThen(this.publicRooms(cursor, ROOMS_PAGE), (page) => s.send(ref === undefined ? page : { ...page, ref }));
  }

  /** One page of rooms with members, the private ones left out (the page may then hold fewer). */
  publicRooms(cursor: string | undefined, limit: number): Awaitable<RoomsFrame> {
    return andThen(this.roomsWithStates(cursor, limit), ({ rooms: all, next }) => {
      const rooms: RoomsFrame["rooms"] = [];
      for (const { room, count, state } of all) {
        if (state?.visibility === "private") continue;
        rooms.push(state?.topic ? { room, count, topic: state.topic } : { room, count });
      }
      return next === undefined ? { type: "list", rooms } : { type: "list", rooms, next };
    });
  }

  /** One page of rooms with members, each with its state: every room, the private ones too (the server API's listing). */
  roomsWithStates(cursor: string | undefined, limit: number): Awaitable<{ rooms: ListedRoom[]; next?: string }> {
    return andThen(this.rooms.list(cursor, limit), (page) => {
      const states = page.rooms.map((r) => this.access.state(r.room));
      const listed = (all: (RoomState | null)[]) => {
        const rooms = page.rooms.map((r, i) => ({ room: r.room, count: r.count, state: all[i] ?? null }));
        return page.next === undefined ? { rooms } : { rooms, next: page.next };
      };
      return states.some((x) => x instanceof Promise) ? Promise.all(states).then(listed) : listed(states as (RoomState | null)[]);
    });
  }

  /** Removals and invitations, on every node: this node's connections of the user hear them. */
  onControl(msg: Extract<ControlMessage, { type: "removed" | "invited" }>): Awaitable<void> {
    if (msg.type === "removed") return this.rooms.removeUser(msg.userId, msg.room, { reason: msg.reason, by: msg.by });
    const data = encode({ type: "notice", room: msg.room, text: `${msg.by.name} invited you to room ${msg.room}` });
    for (const s of this.hub.sessionsOf(msg.userId)) s.sendEncoded(data);
  }
}
