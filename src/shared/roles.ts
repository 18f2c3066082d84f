// Who may do what in a room: the roles, their order, and a room's settings as the protocol shows
// them (docs/rooms.md). No imports, so the SDK and the page take them without the server's code.

/** A user's role in a room: owner > moderator > member. */
export type Role = "owner" | "moderator" | "member";
export type Visibility = "public" | "private";

/** Each role's rank: nobody acts on someone of equal or higher rank. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { member: 0, moderator: 1, owner: 2 };

/**
 * A change to a room, as its stream keeps it: the `text` (JSON) of a `message` of kind `room`,
 * whose `from` is who made it. `user` is the member acted on.
 */
export type RoomChange =
  | { type: "topic"; text: string }
  | { type: "invite"; user: { id: string; name: string } }
  | { type: "kick"; user: { id: string; name: string }; reason?: string }
  | { type: "ban"; user: { id: string; name: string }; reason?: string; seconds?: number }
  | { type: "unban"; user: { id: string; name: string } }
  | { type: "mute"; user: { id: string; name: string }; seconds?: number }
  | { type: "unmute"; user: { id: string; name: string } }
  | { type: "role"; user: { id: string; name: string }; role: Role }
  | { type: "mode"; visibility?: Visibility; moderated?: boolean; slowmode?: number };

/** A `room` message's change, or null when its text is not one (never throws). */
export function roomChange(text: string): RoomChange | null {
  try {
    const c = JSON.parse(text) as RoomChange;
    return typeof c === "object" && c !== null && typeof c.type === "string" ? c : null;
  } catch {
    return null;
  }
}
