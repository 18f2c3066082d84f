// User routes: a direct message to every connection of a user, and disconnecting a user, on
// every node. A user is addressed by id (a token's `sub`, a guest's id from `welcome` or a
// webhook); one that holds no connection anywhere is 404.
import { andThen, type Awaitable } from "../../awaitable.ts";
import type { Engine } from "../../engine/engine.ts";
import { ErrorCode } from "../../shared/codes.ts";
import type { DirectMessageFrame, Member } from "../../shared/protocol.ts";
import { fitReason } from "../../user-control.ts";
import { apiError, json, statusOf } from "./errors.ts";
import { isServerId, serverIdentity } from "./identities.ts";
import { API_SENDER } from "./rooms.ts";
import { route } from "./route.ts";
import { ConnectedUser, DirectSent, Disconnect, DisconnectAccepted, PostUserMessage } from "./schemas.ts";

const USER = { id: "the user id: a token's `sub`, or a guest's id" };

/** The connected user `id`, or the 404 to answer. */
function connected(engine: Engine, id: string): Awaitable<{ ok: true; user: Member } | { ok: false; response: Response }> {
  const missing = { ok: false as const, response: apiError(404, ErrorCode.NoSuchUser, "no user with that id is connected") };
  if (isServerId(id)) return missing;
  return andThen(engine.names.lookupUser(id), (user) => (user ? { ok: true as const, user } : missing));
}

export const userRoutes = [
  route({
    method: "GET",
    path: "/users/{id}",
    operationId: "getUser",
    summary: "Whether a user is connected, on any node, and under which name.",
    params: USER,
    ok: { status: 200, schema: ConnectedUser, description: "connected" },
    errors: [404],
    handle({ params, d }) {
      return andThen(connected(d.engine, params.id!), (target) => (target.ok ? json(200, { user: target.user }) : target.response));
    },
  }),
  route({
    method: "POST",
    path: "/users/{id}/messages",
    operationId: "postUserMessage",
    summary: "A direct message from a server identity to every connection of a user, on every node (not stored).",
    params: USER,
    body: PostUserMessage,
    ok: { status: 201, schema: DirectSent, description: "sent (200 with duplicate: true for a cid already seen)" },
    errors: [400, 404, 409],
    handle({ params, body, d }) {
      const problem = d.services.messages.checkText(body.text);
      if (problem) return apiError(statusOf(problem.code), problem.code, problem.message);
      const key = body.cid === undefined ? undefined : { userId: API_SENDER, cid: body.cid };
      const sent = (f: DirectMessageFrame, duplicate: boolean) => json(duplicate ? 200 : 201, { id: f.id, ts: f.ts, from: f.from, to: f.to, duplicate });
      return andThen(connected(d.engine, params.id!), (target) => {
        // A retry whose recipient left after the first send still gets the first send's answer.
        if (!target.ok) return key === undefined ? target.response : andThen(d.engine.broker.sentDirect(key), (seen) => (seen ? sent(seen, true) : target.response));
        return andThen(serverIdentity(d.engine, body.from?.name), (who) => {
          if (!who.ok) return who.response;
          return andThen(d.services.messages.directAs(who.member, target.user, body.text, key), ({ frame, duplicate }) => sent(frame, duplicate));
        });
      });
    },
  }),
  route({
    method: "POST",
    path: "/users/{id}/disconnect",
    operationId: "disconnectUser",
    summary: "Close every connection of a user, on every node, with close code 4403 and the reason; the SDK does not reconnect by itself.",
    params: USER,
    body: Disconnect,
    ok: { status: 202, schema: DisconnectAccepted, description: "every node was told; this node's connections are closing" },
    errors: [400, 404],
    handle({ params, body, d }) {
      return andThen(connected(d.engine, params.id!), (target) => {
        if (!target.ok) return target.response;
        return andThen(d.services.users.disconnect(target.user.id, fitReason(body.reason ?? "")), () => json(202, { user: target.user }));
      });
    },
  }),
];
