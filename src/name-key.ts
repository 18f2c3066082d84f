// The key two user names are compared on. Two names with the same key are one name: `alice`
// online makes `Alice`, fullwidth `ａｌｉｃｅ`, Cyrillic `аlice` and `al\u034Fice` all taken.
// Display keeps the NFC form the user typed (names.ts); only uniqueness uses the key.
//
// key(name) = lower(skeleton(dropIgnorables(caseFold(NFKC(name)))))
//  - NFKC folds compatibility forms (fullwidth letters, ligatures, superscripts).
//  - caseFold: toUpperCase().toLowerCase() is JavaScript's nearest to Unicode full case
//    folding (ß → ss, final sigma → σ); plain toLowerCase misses those.
//  - Default_Ignorable_Code_Point characters (zero-width space and joiners, bidi controls,
//    variation selectors, the combining grapheme joiner, Hangul fillers) are invisible, so they
//    are dropped. names.ts refuses most of them outright; the ones that are marks or letters
//    (U+034F, U+FE0F, U+3164 …) would otherwise pass its pattern.
//  - skeleton is UTS #39's: NFD, map every character to its prototype in Unicode's
//    confusables.txt (Cyrillic а → Latin a, 0 → O, m → rn), NFD again. The table comes from
//    the `unhomoglyph` package (nodeca), which ships confusables.txt as data; a maintained table
//    beats one we would copy in and forget to update. Its data is Unicode 13.0's (see
//    docs/security.md for what that misses and how to refresh it).
//  - lower again: a few prototypes are capitals (0 → O), so `b0b` meets `bob`.
import unhomoglyph from "unhomoglyph";

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Unicode full case folding, as near as JavaScript gets without tables. */
export function caseFold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** UTS #39 skeleton: NFD, confusables prototypes, NFD. Not for display. */
export function skeleton(s: string): string {
  return unhomoglyph(s.normalize("NFD")).normalize("NFD");
}

/** The uniqueness key of a user name (see the file comment). */
export function nameKey(name: string): string {
  return skeleton(caseFold(name.normalize("NFKC")).replace(DEFAULT_IGNORABLE, "")).toLowerCase();
}

/** Names nobody may take, because clients show them as the server speaking. Compared on the key. */
export const RESERVED_NAMES: readonly string[] = [
  "system", "server", "admin", "administrator", "root", "moderator", "mod", "operator", "sysop",
  "hubbub", "official", "staff", "support", "everyone", "here", "channel", "nobody", "null", "undefined",
];
const RESERVED_KEYS: ReadonlySet<string> = new Set(RESERVED_NAMES.map(nameKey));

/** True when `name` has the key of a reserved name (`ADMIN`, `аdmin` and `admin` alike). */
export function isReservedName(name: string): boolean {
  return isReservedKey(nameKey(name));
}

/** True when `key` (a nameKey) is a reserved name's. */
export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}
