// The server's identities: who an API message is from. A server identity is a name (default
// `system`) with the id `~<name, NFKC and lower-cased>`, which no user can have (names.ts
// SERVER_ID_PREFIX); two spellings that only differ in case are one identity. It
// cannot imitate a user either: a reserved name (`system`, `admin`…) no user may take anyway,
// and any other name is claimed in the engine's name registry for the identity, exactly as a
// user's name is, so that while the node lives no user can take it (and a name a user holds
// now is refused, 409). The claim is this node's, re-asserted after an outage like a user's.
import { andThen, type Awaitable } from "../../awaitable.ts";
import type { Engine } from "../../engine/engine.ts";
import { NAME_RULE, SERVER_ID_PREFIX, isReservedKey, nameKey, normalizeName } from "../../names.ts";
import { ErrorCode } from "../../shared/codes.ts";
import type { Member } from "../../shared/protocol.ts";
import { apiError } from "./errors.ts";

/** Who API messages are from when the request names no one. */
export const DEFAULT_SERVER_NAME = "system";

export type Identity = { ok: true; member: Member } | { ok: false; response: Response };

export function serverIdentity(engine: Engine, raw: string | undefined): Awaitable<Identity> {
  const name = normalizeName(raw ?? DEFAULT_SERVER_NAME);
  if (name === null) return { ok: false, response: apiError(400, ErrorCode.InvalidName, `from.name: ${NAME_RULE}`) };
  const key = nameKey(name);
  const member: Member = { id: `${SERVER_ID_PREFIX}${name.normalize("NFKC").toLowerCase()}`, name };
  if (isReservedKey(key)) return { ok: true, member };
  return andThen(engine.names.claim(key, member), (ok): Identity =>
    ok ? { ok: true, member } : { ok: false, response: apiError(409, ErrorCode.NameTaken, `the name ${name} belongs to a user; a server identity cannot take it`) },
  );
}

/** Whether `id` is one of the server's own identities (never a user). */
export function isServerId(id: string): boolean {
  return id.startsWith(SERVER_ID_PREFIX);
}
