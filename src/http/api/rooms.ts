// Room routes: post into a room, read its history and members, list rooms (room-actions.ts has
// a room's state and its moderation). Each calls the room and message services a connection's
// frames call (rooms.ts, messages.ts).
import { andThen } from "../../awaitable.ts";
import { ROOM_RULE, normalizeRoom } from "../../names.ts";
import { ErrorCode } from "../../shared/codes.ts";
import { MAX_WHO_LIMIT } from "../../shared/limits.ts";
import { apiError, json, statusOf } from "./errors.ts";
import { serverIdentity } from "./identities.ts";
import { route } from "./route.ts";
import { DEFAULT_ROOMS_LIMIT, HistoryPage, HistoryParams, MembersPage, MembersParams, MessageDeleted, Posted, PostRoomMessage, RoomsPage, RoomsParams } from "./schemas.ts";

/** The API's idempotency keys live under this one sender, whatever `from` says: a cid is the backend's. */
export const API_SENDER = "~api";

export const ROOM = { room: "the room: 1-32 lower-case letters, digits, _ or -" };

/** The room a path names, or the 400 to answer. */
export function roomOf(raw: string): { ok: true; room: string } | { ok: false; response: Response } {
  const room = normalizeRoom(raw);
  return room === null ? { ok: false, response: apiError(400, ErrorCode.InvalidRoom, ROOM_RULE) } : { ok: true, room };
}

export const roomRoutes = [
  route({
    method: "POST",
    path: "/rooms/{room}/messages",
    operationId: "postRoomMessage",
    summary: "Publish a message into a room from a server identity: members see it live and it is kept in history.",
    params: ROOM,
    body: PostRoomMessage,
    ok: { status: 201, schema: Posted, description: "published (200 with duplicate: true for a cid already seen)" },
    errors: [400, 409],
    handle({ params, body, d }) {
      const r = roomOf(params.room!);
      if (!r.ok) return r.response;
      const problem = d.services.messages.checkText(body.text);
      if (problem) return apiError(statusOf(problem.code), problem.code, problem.message);
      return andThen(serverIdentity(d.engine, body.from?.name), (who) => {
        if (!who.ok) return who.response;
        const key = body.cid === undefined ? undefined : { userId: API_SENDER, cid: body.cid };
        return andThen(d.services.messages.postAs(r.room, who.member, body.kind ?? "text", body.text, key), ({ message: m, duplicate }) =>
          json(duplicate ? 200 : 201, { room: m.room, seq: m.seq, id: m.id, ts: m.ts, duplicate }),
        );
      });
    },
  }),
  route({
    method: "GET",
    path: "/rooms/{room}/messages",
    operationId: "getRoomMessages",
    summary: "A page of the room's kept messages, ascending: the newest (before `before`), or the first after `after`.",
    params: ROOM,
    query: HistoryParams,
    ok: { status: 200, schema: HistoryPage, description: "a page (an unused room reads as empty, seq 0)" },
    errors: [400],
    handle({ params, query, d }) {
      const r = roomOf(params.room!);
      if (!r.ok) return r.response;
      return andThen(d.services.rooms.messages(r.room, query), (p) => json(200, { room: r.room, seq: p.seq, epoch: p.epoch, messages: p.messages, more: p.more }));
    },
  }),
  route({
    method: "GET",
    path: "/rooms/{room}/members",
    operationId: "getRoomMembers",
    summary: "A page of the room's members on every node, ordered by id, with the total count.",
    params: ROOM,
    query: MembersParams,
    ok: { status: 200, schema: MembersPage, description: "a page (a room without members reads as empty)" },
    errors: [400],
    handle({ params, query, d }) {
      const r = roomOf(params.room!);
      if (!r.ok) return r.response;
      return andThen(d.services.rooms.members(r.room, query.after, query.limit ?? MAX_WHO_LIMIT), (p) => json(200, { room: r.room, ...p }));
    },
  }),
  route({
    method: "GET",
    path: "/rooms",
    operationId: "listRooms",
    summary: "The rooms that have members, on every node, ordered by name, with member counts, visibility and topics (private rooms too).",
    query: RoomsParams,
    ok: { status: 200, schema: RoomsPage, description: "a page" },
    errors: [400],
    handle({ query, d }) {
      return andThen(d.services.moderation.roomsWithStates(query.cursor, query.limit ?? DEFAULT_ROOMS_LIMIT), ({ rooms, next }) => {
        const listed = rooms.map(({ room, count, state }) => {
          const visibility = state?.visibility ?? "public";
          return state?.topic ? { room, count, visibility, topic: state.topic } : { room, count, visibility };
        });
        return json(200, next === undefined ? { rooms: listed } : { rooms: listed, next });
      });
    },
  }),
  route({
    method: "DELETE",
    path: "/rooms/{room}/messages/{id}",
    operationId: "deleteRoomMessage",
    summary: "Delete any message of a room (moderation by the backend): its text is erased, members get `deleted` live, history shows a tombstone.",
    params: { ...ROOM, id: "the message's id, as in its frame" },
    ok: { status: 200, schema: MessageDeleted, description: "deleted" },
    errors: [400, 404],
    handle({ params, d }) {
      const r = roomOf(params.room!);
      if (!r.ok) return r.response;
      return andThen(serverIdentity(d.engine, undefined), (who) => {
        if (!who.ok) return who.response;
        return andThen(d.services.edits.deleteAs(r.room, params.id!, who.member), (out) =>
          out.ok ? json(200, { room: r.room, id: params.id!, deleted: true }) : apiError(statusOf(out.code), out.code, out.message),
        );
      });
    },
  }),
];
