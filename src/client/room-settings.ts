// What the client knows of a room's settings and roles (docs/rooms.md): read from each `users`
// frame, then kept current by the room's own record of its changes (`message`s of kind `room`),
// which arrive live in seq order and in replays. Pure functions, so the SDK and the page agree.
import type { MessageFrame, UsersFrame } from "../shared/protocol.ts";
import { roomChange, type Role, type RoomChange, type Visibility } from "../shared/roles.ts";

export interface RoomSettings {
  topic: string;
  visibility: Visibility;
  moderated: boolean;
  /** Seconds between a member's posts; 0: off. */
  slowmode: number;
  /** Every user with a role above member, by id. */
  roles: Readonly<Record<string, Role>>;
  /** This user's role here (an admin's is at least moderator). */
  role: Role;
  /** This user is a moderator by the server's word though no room role says so (a token's `admin`). */
  admin: boolean;
}

export const NO_SETTINGS: RoomSettings = { topic: "", visibility: "public", moderated: false, slowmode: 0, roles: {}, role: "member", admin: false };

/** The settings a `users` frame carries, for the user `self`. */
export function settingsOf(f: UsersFrame, self: string | null): RoomSettings {
  const roles = f.roles ?? {};
  const role = f.role ?? "member";
  const admin = role === "moderator" && (self === null || roles[self] === undefined);
  return { topic: f.topic ?? "", visibility: f.visibility ?? "public", moderated: f.modes?.moderated === true, slowmode: f.modes?.slowmode ?? 0, roles, role, admin };
}

/** The settings after change `c`, for the user `self`; `s` itself when it changes nothing here. */
export function applyChange(s: RoomSettings, c: RoomChange, self: string | null): RoomSettings {
  switch (c.type) {
    case "topic":
      return { ...s, topic: c.text };
    case "mode":
      return { ...s, visibility: c.visibility ?? s.visibility, moderated: c.moderated ?? s.moderated, slowmode: c.slowmode ?? s.slowmode };
    case "role": {
      const roles: Record<string, Role> = { ...s.roles };
      if (c.role === "owner") for (const id in roles) if (roles[id] === "owner") roles[id] = "moderator";
      if (c.role === "member") delete roles[c.user.id];
      else roles[c.user.id] = c.role;
      return withRoles(s, roles, self);
    }
    case "ban": {
      if (s.roles[c.user.id] === undefined) return s;
      const roles: Record<string, Role> = { ...s.roles };
      delete roles[c.user.id];
      return withRoles(s, roles, self);
    }
    default:
      return s;
  }
}

function withRoles(s: RoomSettings, roles: Record<string, Role>, self: string | null): RoomSettings {
  const own = self === null ? undefined : roles[self];
  return { ...s, roles, role: own ?? (s.admin ? "moderator" : "member") };
}

/** The change a `room` message records, or null for any other message. */
export function changeOf(m: MessageFrame): RoomChange | null {
  return m.kind === "room" ? roomChange(m.text) : null;
}

/** A duration in words: 600 → "10 minutes". */
function span(seconds: number): string {
  const [n, unit] = seconds % 86400 === 0 ? [seconds / 86400, "day"] : seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** A room change as a line for people: "alice banned mallory for 10 minutes (flooding)". */
export function describeChange(m: MessageFrame): string {
  const c = changeOf(m);
  const by = m.from.name;
  if (c === null) return `${by} changed the room`;
  const reason = "reason" in c && c.reason ? ` (${c.reason})` : "";
  const term = "seconds" in c && c.seconds ? ` for ${span(c.seconds)}` : "";
  switch (c.type) {
    case "topic":
      return c.text ? `${by} set the topic: ${c.text}` : `${by} cleared the topic`;
    case "invite":
      return `${by} invited ${c.user.name}`;
    case "kick":
      return `${by} removed ${c.user.name}${reason}`;
    case "ban":
      return `${by} banned ${c.user.name}${term}${reason}`;
    case "unban":
      return `${by} lifted the ban on ${c.user.name}`;
    case "mute":
      return `${by} muted ${c.user.name}${term}`;
    case "unmute":
      return `${by} unmuted ${c.user.name}`;
    case "role":
      return c.role === "owner" ? `${by} gave the room to ${c.user.name}` : c.role === "moderator" ? `${by} made ${c.user.name} a moderator` : `${by} made ${c.user.name} a member`;
    case "mode": {
      const parts: string[] = [];
      if (c.visibility) parts.push(`made the room ${c.visibility}`);
      if (c.moderated !== undefined) parts.push(c.moderated ? "let only moderators post" : "let everyone post");
      if (c.slowmode !== undefined) parts.push(c.slowmode ? `set slowmode to ${span(c.slowmode)}` : "turned slowmode off");
      return `${by} ${parts.join(", ") || "changed the room"}`;
    }
  }
}
