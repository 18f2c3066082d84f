// Who may connect when AUTH_SECRET is set: a JWT signed with HS256, passed as `?token=` or as
// a `bearer.<token>` entry of Sec-WebSocket-Protocol. Verification is jose's (a well-kept,
// audited library: constant-time HMAC compare, claim checks), never hand-written crypto.
// Nothing here logs; callers log `reason` codes only, never a token or a query string.
import { SignJWT, jwtVerify } from "jose";
import { SERVER_ID_PREFIX, normalizeName, normalizeRoom } from "./names.ts";

import { BATCH_SUBPROTOCOL, SUBPROTOCOL } from "./shared/limits.ts";

export { SUBPROTOCOL };
/** Prefix of the Sec-WebSocket-Protocol entry that carries a token. */
export const BEARER_PREFIX = "bearer.";
/** Clock skew tolerated on `exp` and `nbf`, in seconds. */
export const CLOCK_SKEW_S = 30;
/** Longest `sub` accepted; it becomes the user id shown to every member of a room. */
export const MAX_SUB_LENGTH = 128;
/** Longest token read at all; longer ones are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;
/** The only algorithm accepted. Listing it is what refuses `alg: none` and RS/HS confusion. */
const ALGORITHMS = ["HS256"];

/** Who a verified token says the peer is. */
export interface Identity {
  /** The token's `sub`: the user id (one user may hold several connections). */
  userId: string;
  /** The token's `name` claim, NFC-normalised: the display name. */
  name: string;
  /**
   * The token's `rooms` claim: the only rooms this user may join, each a room name or a
   * `prefix*` pattern (`team-*`, or `*` for all); absent = any room (that the room's own rules let in).
   */
  rooms?: readonly string[];
  /** The token's `admin: true` claim: a moderator in every room (docs/rooms.md). */
  admin?: boolean;
}

/** `reason` is a short fixed code for logs and metrics; it never contains the token. */
export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: string };

export interface Authenticator {
  verify(token: string | null): Promise<AuthResult>;
}

export function createAuthenticator(secret: string, audience = ""): Authenticator {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      if (token === null || token === "") return { ok: false, reason: "missing" };
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "too_long" };
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ALGORITHMS,
          clockTolerance: CLOCK_SKEW_S,
          requiredClaims: ["sub", "exp"],
          ...(audience ? { audience } : {}),
        }));
      } catch (err) {
        // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …) name the
        // failure without echoing the token.
        return { ok: false, reason: String((err as { code?: string }).code ?? "invalid").toLowerCase() };
      }
      const sub = payload.sub;
      if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUB_LENGTH || sub.startsWith(SERVER_ID_PREFIX)) return { ok: false, reason: "bad_sub" };
      const name = typeof payload.name === "string" ? normalizeName(payload.name) : null;
      if (name === null) return { ok: false, reason: "bad_name" };
      if (payload.admin !== undefined && typeof payload.admin !== "boolean") return { ok: false, reason: "bad_admin" };
      const identity: Identity = payload.admin === true ? { userId: sub, name, admin: true } : { userId: sub, name };
      if (payload.rooms === undefined) return { ok: true, identity };
      const rooms = Array.isArray(payload.rooms) ? payload.rooms.map((r) => (typeof r === "string" ? roomPattern(r) : null)) : [null];
      if (rooms.length === 0 || rooms.includes(null)) return { ok: false, reason: "bad_rooms" };
      identity.rooms = rooms as string[];
      return { ok: true, identity };
    },
  };
}

/**
 * A `rooms` claim entry, normalised: a room name, or a pattern `<prefix>*` whose prefix is the
 * start of a valid room name (or empty: every room); null when it is neither.
 */
export function roomPattern(raw: string): string | null {
  if (!raw.endsWith("*")) return normalizeRoom(raw);
  const prefix = raw.slice(0, -1).toLowerCase();
  return prefix === "" || normalizeRoom(prefix) === prefix ? `${prefix}*` : null;
}

/** Whether `room` is allowed by a `rooms` claim (names and `prefix*` patterns). */
export function allowsRoom(claim: readonly string[], room: string): boolean {
  for (const p of claim) if (p.endsWith("*") ? room.startsWith(p.slice(0, -1)) : p === room) return true;
  return false;
}

/** Where the token came from and which subprotocol to answer with. */
export interface TokenSource {
  token: string | null;
  /**
   * The value for the response's Sec-WebSocket-Protocol: BATCH_SUBPROTOCOL or SUBPROTOCOL when
   * the client offered it (the batch one first), else "" (none). Always set explicitly: Bun otherwise echoes the first offered entry,
   * which could be the `bearer.` one, secret and all.
   */
  protocol: string;
}

/** Reads the token from `?token=` or from a `bearer.` subprotocol entry (the header wins). */
export function tokenFrom(url: URL, protocolHeader: string | null): TokenSource {
  if (protocolHeader === null) return { token: url.searchParams.get("token"), protocol: "" };
  const offered = (protocolHeader ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  const bearer = offered.find((p) => p.startsWith(BEARER_PREFIX));
  return {
    token: bearer ? bearer.slice(BEARER_PREFIX.length) : url.searchParams.get("token"),
    protocol: offered.includes(BATCH_SUBPROTOCOL) ? BATCH_SUBPROTOCOL : offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : "",
  };
}

/** Parses a TTL such as `90s`, `15m`, `1h`, `7d` (or plain seconds) into seconds; null if bad. */
export function parseTtl(raw: string): number | null {
  const m = /^(\d{1,9})([smhd]?)$/.exec(raw.trim());
  if (!m) return null;
  const n = Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
  return n > 0 ? n : null;
}

/** Mints a token for `sub` with display name `name`, valid for `ttlS` seconds (for tests and `hubbub token`). */
export async function mintToken(secret: string, sub: string, name: string, ttlS: number, opts: { audience?: string; now?: number; rooms?: readonly string[]; admin?: boolean } = {}): Promise<string> {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const claims: Record<string, unknown> = { name };
  if (opts.rooms) claims.rooms = [...opts.rooms];
  if (opts.admin) claims.admin = true;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(sub).setIssuedAt(iat).setExpirationTime(iat + ttlS);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
