// Pure rules for user and room names. No state: the Hub decides uniqueness, these decide shape.

/** Longest user name, in code points. */
export const MAX_NAME_LENGTH = 32;

// Letters (with their combining marks, so scripts like Devanagari work), digits, `_`, `-`, `.`.
// The `u` flag makes {1,32} count code points. Spaces, controls and format characters
// (zero-width joiners, bidi overrides) fall outside these classes and are refused.
const NAME_RE = /^[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]{0,31}$/u;
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The default room a connection joins when the handshake names none. */
export const DEFAULT_ROOM = "lobby";

/** NFC-normalises and trims a requested name; null when it breaks the rules. */
export function normalizeName(raw: string): string | null {
  const name = raw.normalize("NFC").trim();
  return NAME_RE.test(name) ? name : null;
}

/** Lower-cases a requested room; null when it breaks the rules. */
export function normalizeRoom(raw: string): string | null {
  const room = raw.toLowerCase();
  return ROOM_RE.test(room) ? room : null;
}

// The uniqueness key (NFKC, case fold, ignorables, UTS #39 skeleton) and reserved names live in
// name-key.ts; re-exported here so callers keep one import for name rules.
export { isReservedKey, isReservedName, nameKey } from "./name-key.ts";

/** A candidate guest name: `guest-` and `digits` random hex digits. */
export function guestName(digits = 4): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return `guest-${Buffer.from(bytes).toString("hex").slice(0, digits)}`;
}
