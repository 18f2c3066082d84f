// Server-side name helpers: the shared shape rules (shared/names.ts), the uniqueness key and
// reserved names (name-key.ts, which carries the confusables table the browser never needs),
// and guest names.
export { DEFAULT_ROOM, MAX_NAME_LENGTH, NAME_RULE, ROOM_RULE, normalizeName, normalizeRoom } from "./shared/names.ts";
export { isReservedKey, isReservedName, nameKey } from "./name-key.ts";

/** A candidate guest name: `guest-` and `digits` random hex digits. */
export function guestName(digits = 4): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return `guest-${Buffer.from(bytes).toString("hex").slice(0, digits)}`;
}

/**
 * User ids that start with this are the server's own identities (the server API's `system` and
 * bot names: `~<name key>`). Guest ids are hex and auth.ts refuses a token whose `sub` starts
 * with it, so no user can be one, or be mistaken for one.
 */
export const SERVER_ID_PREFIX = "~";
