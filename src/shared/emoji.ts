// What counts as a reaction: one emoji grapheme (a flag, a keycap, a skin tone or ZWJ sequence
// all count as one), at most MAX_EMOJI_BYTES bytes of UTF-8. No imports, so the browser can use
// the same rule before sending.

/** A reaction's emoji is at most this many bytes of UTF-8 (the longest ZWJ family fits). */
export const MAX_EMOJI_BYTES = 32;

const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });

export function isEmoji(s: string): boolean {
  if (s.length === 0 || new TextEncoder().encode(s).length > MAX_EMOJI_BYTES) return false;
  const it = segmenter.segment(s)[Symbol.iterator]();
  const first = it.next();
  if (first.done || !it.next().done) return false;
  return PICTOGRAPHIC.test(s) && !/\s/u.test(s);
}
