// The rules of rooms that belong to someone (docs/rooms.md), as pure functions of a room's state:
// who may enter, who may post, and what each moderation action changes. Nothing here does I/O;
// room-access.ts reads and writes the state, moderation.ts carries out what these decide.
//
// Roles rank owner > moderator > member; a JWT `admin` is a moderator in every room, and the
// server API (the application's backend) ranks above every owner. Nobody acts on someone of
// equal or higher rank. Bans, mutes, roles and invites are bound to the user id.
import { ErrorCode } from "./shared/codes.ts";
import { MAX_REASON_LENGTH, MAX_ROOM_LIST, MAX_TOPIC_LENGTH } from "./shared/limits.ts";
import type { Member, UsersFrame } from "./shared/protocol.ts";
import { codePointLength } from "./shared/protocol.ts";
import { ROLE_RANK, type Role, type RoomChange, type Visibility } from "./shared/roles.ts";

/** A room's kept state. `v` counts its changes: a write succeeds only over the version it read. */
export interface RoomState {
  v: number;
  /** The owner's user id ("" for a room the server made and gave no owner). */
  owner: string;
  topic: string;
  visibility: Visibility;
  moderated: boolean;
  /** Seconds between a member's posts (0: off). */
  slowmode: number;
  /** Users with a role of their own: moderators, and the invited members of a private room. */
  roles: Record<string, "moderator" | "member">;
  /** User id → until (ms since the epoch; 0: until lifted). */
  bans: Record<string, number>;
  mutes: Record<string, number>;
}

/** Who acts: a connection's user (with its token's `admin` claim), or the server itself. */
export interface Actor {
  member: Member;
  admin: boolean;
  /** The server API: above every role. */
  server?: boolean;
}

/** A room action, its target resolved to a member. */
export type Action = RoomChange;

export type Refusal = { code: ErrorCode; message: string };
/** What an action comes to: the new state (null: nothing changed) and the change to announce. */
export type Decision = { ok: true; next: RoomState | null; change: RoomChange } | ({ ok: false } & Refusal);

/**
 * A user-id-keyed list (roles, bans, mutes) without a prototype, copied from `from`. User ids are
 * anyone's (a token's `sub`), so `constructor` or `__proto__` must be plain keys: on a `{}` they
 * would read as inherited members (a stranger "invited" to every private room) or, assigned,
 * replace the prototype.
 */
export function idRecord<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, from);
}

/**
 * The empty lists every new room starts with, shared: nearly every room keeps them empty, and a
 * state is never changed in place (decide() copies what it changes), so one frozen object serves.
 */
const NONE: Record<string, never> = Object.freeze(idRecord<never>());

export function newRoomState(owner: string): RoomState {
  return { v: 1, owner, topic: "", visibility: "public", moderated: false, slowmode: 0, roles: NONE, bans: NONE, mutes: NONE };
}

/** A state that says nothing but who owns the room: what a room gets on its first join, and may be forgotten with it. */
export function isPlain(s: RoomState): boolean {
  return s.topic === "" && s.visibility === "public" && !s.moderated && s.slowmode === 0 && isEmpty(s.roles) && isEmpty(s.bans) && isEmpty(s.mutes);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** `userId`'s role in the room (no state: a member). */
export function roleOf(s: RoomState | null, userId: string): Role {
  if (s === null) return "member";
  if (s.owner === userId) return "owner";
  return s.roles[userId] === "moderator" ? "moderator" : "member";
}

/** The rank an actor acts with: its role, at least moderator for an admin, above all for the server. */
function rankOf(s: RoomState | null, a: Actor): number {
  if (a.server) return ROLE_RANK.owner + 1;
  const r = ROLE_RANK[roleOf(s, a.member.id)];
  return a.admin ? Math.max(r, ROLE_RANK.moderator) : r;
}

/** Whether a ban or mute entry holds at `now`. */
export function holds(until: number | undefined, now: number): boolean {
  return until !== undefined && (until === 0 || until > now);
}

/** The same words for a private room one may not enter and for a room one may not create: they reveal nothing. */
export const forbiddenRoom = (room: string): Refusal => ({ code: ErrorCode.Forbidden, message: `you may not join room ${room}` });

/** Whether the actor may enter (join, and so read) the room: null, or why not. */
export function mayEnter(s: RoomState, a: Actor, room: string, now: number): Refusal | null {
  if (a.server) return null;
  if (holds(s.bans[a.member.id], now)) return { code: ErrorCode.Banned, message: `you are banned from room ${room}` };
  if (s.visibility === "private" && !a.admin && s.owner !== a.member.id && s.roles[a.member.id] === undefined) return forbiddenRoom(room);
  return null;
}

/** Whether the actor may post into the room now (slowmode aside: room-access.ts keeps its clock). */
export function mayPost(s: RoomState, a: Actor, room: string, now: number): Refusal | null {
  const until = s.mutes[a.member.id];
  if (holds(until, now)) {
    return { code: ErrorCode.Muted, message: until === 0 ? `you are muted in room ${room}` : `you are muted in room ${room} for ${Math.ceil((until! - now) / 1000)} more seconds` };
  }
  if (s.moderated && rankOf(s, a) < ROLE_RANK.moderator) return { code: ErrorCode.Forbidden, message: `room ${room} is moderated: only its moderators post` };
  return null;
}

/** Whether slowmode applies to the actor's posts: it does to members only. */
export function slowFor(s: RoomState, a: Actor): number {
  return s.slowmode > 0 && rankOf(s, a) < ROLE_RANK.moderator ? s.slowmode : 0;
}

/** Whether the actor may change or delete other users' messages in the room. */
export function moderates(s: RoomState | null, a: Actor): boolean {
  return rankOf(s, a) >= ROLE_RANK.moderator;
}

const deny = (message: string): Decision => ({ ok: false, code: ErrorCode.Forbidden, message });
const invalid = (message: string): Decision => ({ ok: false, code: ErrorCode.InvalidMessage, message });

/** What the actor's action does to the room's state `s` at `now`: the next state, or the refusal. */
export function decide(s: RoomState, a: Actor, action: Action, now: number): Decision {
  const rank = rankOf(s, a);
  const owner = ROLE_RANK.owner;
  if (rank < ROLE_RANK.moderator) return deny("only the room's owner and moderators may do that");
  const next: RoomState = { ...s, v: s.v + 1, roles: idRecord(s.roles), bans: idRecord(s.bans), mutes: idRecord(s.mutes) };
  prune(next, now);
  const done = (changed: boolean): Decision => ({ ok: true, next: changed ? next : null, change: action });
  if (action.type === "topic") {
    if (codePointLength(action.text) > MAX_TOPIC_LENGTH) return invalid(`a topic is at most ${MAX_TOPIC_LENGTH} characters`);
    next.topic = action.text;
    return done(next.topic !== s.topic);
  }
  if (action.type === "mode") {
    if (action.visibility !== undefined && action.visibility !== s.visibility && rank < owner) return deny("only the room's owner may make it private or public");
    if (action.visibility !== undefined) next.visibility = action.visibility;
    if (action.moderated !== undefined) next.moderated = action.moderated;
    if (action.slowmode !== undefined) next.slowmode = action.slowmode;
    return done(next.visibility !== s.visibility || next.moderated !== s.moderated || next.slowmode !== s.slowmode);
  }
  const target = action.user.id;
  const targetRank = ROLE_RANK[roleOf(s, target)];
  if (action.type === "invite") {
    if (target === s.owner || s.roles[target] !== undefined) return done(false);
    if (!room(next.roles)) return full("invited members and moderators");
    next.roles[target] = "member";
    return done(true);
  }
  // Lifting a penalty is acting on its holder too: a moderator the owner muted may not unmute
  // itself (nor another moderator), and an owner the server muted stays muted.
  if (targetRank >= rank) return deny(target === a.member.id ? "you cannot do that to yourself" : `${action.user.name} has a role equal to or above yours`);
  if (action.type === "unban") return done(delete next.bans[target] && s.bans[target] !== undefined);
  if (action.type === "unmute") return done(delete next.mutes[target] && s.mutes[target] !== undefined);
  switch (action.type) {
    case "kick":
      if (!reasonOk(action.reason)) return invalid(`a reason is at most ${MAX_REASON_LENGTH} characters`);
      // In a private room a kick takes the invite back: otherwise the user could walk back in.
      if (s.visibility === "private") delete next.roles[target];
      return done(true);
    case "ban":
      if (!reasonOk(action.reason)) return invalid(`a reason is at most ${MAX_REASON_LENGTH} characters`);
      if (next.bans[target] === undefined && !room(next.bans)) return full("bans");
      next.bans[target] = action.seconds ? now + action.seconds * 1000 : 0;
      delete next.roles[target];
      return done(true);
    case "mute":
      if (next.mutes[target] === undefined && !room(next.mutes)) return full("mutes");
      next.mutes[target] = action.seconds ? now + action.seconds * 1000 : 0;
      return done(true);
    case "role":
      if (rank < owner) return deny("only the room's owner may grant or revoke moderator");
      if (action.role === "owner") {
        // A transfer: the old owner stays on as a moderator.
        if (s.owner !== "") next.roles[s.owner] = "moderator";
        delete next.roles[target];
        next.owner = target;
        return done(true);
      }
      if (action.role === "moderator") {
        if (next.roles[target] === undefined && !room(next.roles)) return full("invited members and moderators");
        next.roles[target] = "moderator";
      } else if (s.visibility === "private") next.roles[target] = "member";
      else delete next.roles[target];
      return done(roleOf(next, target) !== roleOf(s, target));
  }
}

function full(what: string): Decision {
  return { ok: false, code: ErrorCode.Forbidden, message: `a room keeps at most ${MAX_ROOM_LIST} ${what}` };
}

function room(list: object): boolean {
  return Object.keys(list).length < MAX_ROOM_LIST;
}

function reasonOk(reason: string | undefined): boolean {
  return reason === undefined || codePointLength(reason) <= MAX_REASON_LENGTH;
}

/** Drops the bans and mutes that ran out. */
function prune(s: RoomState, now: number): void {
  for (const [id, until] of Object.entries(s.bans)) if (!holds(until, now)) delete s.bans[id];
  for (const [id, until] of Object.entries(s.mutes)) if (!holds(until, now)) delete s.mutes[id];
}

/**
 * The room's settings as `users` frames carry them, for the user `userId` (docs/rooms.md). Each
 * field is there only when it says something: `visibility` when private, `topic` when set,
 * `modes` when any, `role` when not member, `roles` when anyone holds one.
 */
export type RoomInfo = Pick<UsersFrame, "topic" | "visibility" | "modes" | "role" | "roles">;

export function roomInfo(s: RoomState | null, userId: string, admin: boolean): RoomInfo {
  const info: RoomInfo = {};
  const role = s === null ? "member" : roleOf(s, userId);
  if (role !== "member") info.role = role;
  else if (admin) info.role = "moderator";
  if (s === null) return info;
  if (s.visibility === "private") info.visibility = "private";
  if (s.topic !== "") info.topic = s.topic;
  if (s.moderated || s.slowmode > 0) info.modes = s.moderated ? (s.slowmode > 0 ? { moderated: true, slowmode: s.slowmode } : { moderated: true }) : { slowmode: s.slowmode };
  let roles: Record<string, Role> | null = null;
  if (s.owner !== "") (roles ??= idRecord())[s.owner] = "owner";
  for (const id in s.roles) if (s.roles[id] === "moderator") (roles ??= idRecord())[id] = "moderator";
  if (roles) info.roles = roles;
  return info;
}
