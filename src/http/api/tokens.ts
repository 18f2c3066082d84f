// POST /tokens: mints the JWT a user connects with (AUTH_SECRET), so a backend needs no JWT
// library. The same rules as a token's verification apply before signing (auth.ts): a `sub`
// that is not a server identity, a valid and unreserved name, valid rooms.
import { mintToken } from "../../auth.ts";
import { ROOM_RULE, SERVER_ID_PREFIX, normalizeRoom } from "../../names.ts";
import { ErrorCode } from "../../shared/codes.ts";
import { checkName } from "../../user-names.ts";
import { ApiErrorCode, apiError, json } from "./errors.ts";
import { route } from "./route.ts";
import { DEFAULT_TOKEN_TTL_S, Token, TokenRequest } from "./schemas.ts";

export const tokenRoutes = [
  route({
    method: "POST",
    path: "/tokens",
    operationId: "mintToken",
    summary: "Mint an HS256 JWT for a user (needs AUTH_SECRET): `sub` is the user id, `name` the display name, `rooms` the only rooms it may join.",
    body: TokenRequest,
    ok: { status: 201, schema: Token, description: "the token" },
    errors: [400, 409],
    async handle({ body, d }) {
      const { authSecret, audience } = d.config;
      if (!authSecret) return apiError(409, ApiErrorCode.NotConfigured, "the server has no AUTH_SECRET: connections need no token");
      if (body.sub.startsWith(SERVER_ID_PREFIX)) return apiError(400, ErrorCode.InvalidMessage, `invalid body: \`sub\`: must not start with ${SERVER_ID_PREFIX} (the server's own identities)`);
      const name = checkName(body.name);
      if (!name.ok) return apiError(400, ErrorCode.InvalidName, name.message);
      const rooms = body.rooms?.map(normalizeRoom);
      if (rooms?.includes(null)) return apiError(400, ErrorCode.InvalidRoom, ROOM_RULE);
      const ttl = body.ttl ?? DEFAULT_TOKEN_TTL_S;
      const now = Date.now();
      const token = await mintToken(authSecret, body.sub, name.name, ttl, { audience, now, rooms: rooms as string[] | undefined });
      return json(201, { token, expiresAt: (Math.floor(now / 1000) + ttl) * 1000 });
    },
  }),
];
