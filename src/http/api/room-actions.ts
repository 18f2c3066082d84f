// Room moderation by the backend: a room's state (owner, topic, visibility, modes, roles, bans,
// mutes, invites) and one route per room action, each the WebSocket frame of the same name
// (moderation.ts), done by the server: it ranks above every owner (room-rules.ts), so nothing
// it asks is refused for its role, and it may act on a room nobody has joined yet. Each change
// is recorded in the room's stream from the server identity `system`, as a member's would be.
import { andThen } from "../../awaitable.ts";
import type { ActionRequest } from "../../moderation.ts";
import { holds, type Actor, type RoomState } from "../../room-rules.ts";
import type { z } from "zod";
import { apiError, json, statusOf } from "./errors.ts";
import { serverIdentity } from "./identities.ts";
import { ROOM, roomOf } from "./rooms.ts";
import { route, type ApiDeps, type Route } from "./route.ts";
import { ActionDone, BanBody, KickBody, ModeBody, MuteBody, RoleBody, RoomStateView, TargetBody, TopicBody } from "./schemas.ts";

/** The state as the API shows it; a room without one reads as public, unowned and open. */
export function roomStateView(room: string, s: RoomState | null, now = Date.now()): z.output<typeof RoomStateView> {
  const penalties = (list: Record<string, number>) =>
    Object.entries(list)
      .filter(([, until]) => holds(until, now))
      .map(([user, until]) => (until === 0 ? { user } : { user, until }));
  const roles = Object.entries(s?.roles ?? {});
  return {
    room,
    owner: s?.owner ? s.owner : null,
    topic: s?.topic ?? "",
    visibility: s?.visibility ?? "public",
    moderated: s?.moderated ?? false,
    slowmode: s?.slowmode ?? 0,
    moderators: roles.filter(([, r]) => r === "moderator").map(([id]) => id),
    invited: roles.filter(([, r]) => r === "member").map(([id]) => id),
    bans: penalties(s?.bans ?? {}),
    mutes: penalties(s?.mutes ?? {}),
  };
}

/** Does `request` in the room named by the path, as the server, and answers the state after it. */
function act(d: ApiDeps, raw: string, request: ActionRequest) {
  const r = roomOf(raw);
  if (!r.ok) return r.response;
  return andThen(serverIdentity(d.engine, undefined), (who) => {
    if (!who.ok) return who.response;
    const actor: Actor = { member: who.member, admin: false, server: true };
    return andThen(d.services.moderation.actAs(r.room, actor, request), (out) => {
      if (!out.ok) return apiError(statusOf(out.code), out.code, out.message);
      return andThen(d.services.access.state(r.room), (state) => json(200, { changed: out.changed, state: roomStateView(r.room, state) }));
    });
  });
}

const OK = { status: 200, schema: ActionDone, description: "done (or nothing to change: `changed` false); the room's state after it" };

/** One route per action: `POST /rooms/{room}/<action>` with the frame's fields as the body. */
function actionRoute<B extends z.ZodType>(action: string, operationId: string, summary: string, body: B, request: (b: z.output<B>) => ActionRequest, errors = [400]): Route {
  return route({
    method: "POST",
    path: `/rooms/{room}/${action}`,
    operationId,
    summary,
    params: ROOM,
    body,
    ok: OK,
    errors,
    handle: ({ params, body: b, d }) => act(d, params.room!, request(b)),
  });
}

const WITH_USER = [400, 403, 404];

export const roomActionRoutes: Route[] = [
  route({
    method: "GET",
    path: "/rooms/{room}",
    operationId: "getRoom",
    summary: "A room's state: owner, topic, visibility, modes, moderators, invited members, the bans and mutes in force.",
    params: ROOM,
    ok: { status: 200, schema: RoomStateView, description: "the state (a room without one reads as public, unowned and open)" },
    errors: [400],
    handle({ params, d }) {
      const r = roomOf(params.room!);
      if (!r.ok) return r.response;
      return andThen(d.services.access.state(r.room), (state) => json(200, roomStateView(r.room, state)));
    },
  }),
  actionRoute("topic", "setRoomTopic", "Set (or, with an empty text, clear) the room's topic.", TopicBody, (b) => ({ type: "topic", text: b.text })),
  actionRoute("invite", "inviteToRoom", "Invite a user into the room: a private room lets the invited in; the user's connections are told.", TargetBody, (b) => ({ type: "invite", user: b.user }), WITH_USER),
  actionRoute("kick", "kickFromRoom", "Take a connected user's connections (on every node) out of the room, with `left` reason `kicked`; a private room's invite goes too.", KickBody, (b) => ({ type: "kick", ...b }), WITH_USER),
  actionRoute("ban", "banFromRoom", "Ban a user (connected or not) from the room, for good or for `seconds`: their connections leave with reason `banned`, their role and invite go.", BanBody, (b) => ({ type: "ban", ...b }), WITH_USER),
  actionRoute("unban", "unbanFromRoom", "Lift a user's ban.", TargetBody, (b) => ({ type: "unban", user: b.user }), WITH_USER),
  actionRoute("mute", "muteInRoom", "Stop a user posting in the room, for good or for `seconds`.", MuteBody, (b) => ({ type: "mute", ...b }), WITH_USER),
  actionRoute("unmute", "unmuteInRoom", "Lift a user's mute.", TargetBody, (b) => ({ type: "unmute", user: b.user }), WITH_USER),
  actionRoute("role", "setRoomRole", "Make a user a moderator or a member again, or hand them the room (`owner`).", RoleBody, (b) => ({ type: "role", ...b }), WITH_USER),
  actionRoute("mode", "setRoomMode", "Make the room private or public, moderated or not, or set its slowmode.", ModeBody, (b) => ({ type: "mode", ...b }) as ActionRequest),
];
