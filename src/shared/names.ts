// Pure rules for user and room names, shared by the server, the SDK and the page. No state and
// no server imports: the server decides uniqueness (name-key.ts), these decide shape.

/** Longest user name, in code points. */
export const MAX_NAME_LENGTH = 32;

// Letters (with their combining marks, so scripts like Devanagari work), digits, `_`, `-`, `.`.
// The `u` flag makes {1,32} count code points. Spaces, controls and format characters
// (zero-width joiners, bidi overrides) fall outside these classes and are refused.
const NAME_RE = /^[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]{0,31}$/u;
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The default room a connection joins when the handshake names none. */
export const DEFAULT_ROOM = "lobby";

/** The name rule in words, for error messages (one wording, wherever a name is refused). */
export const NAME_RULE = "names are 1-32 letters, digits, _ - or .";
/** The room rule in words, for error messages. */
export const ROOM_RULE = "room names are 1-32 lower-case letters, digits, _ or -, starting with a letter or digit";

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
