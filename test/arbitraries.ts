// fast-check arbitraries for fuzzing what clients send: hostile strings and numbers, and any
// JSON value built of them (fuzz.test.ts, moderation-fuzz.test.ts).
import fc from "fast-check";

export const nastyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", " ", "/", "//", "/nick", "/msg", "/join", "__proto__", "constructor", "\u0000", "\u001b[31m", "\ud800", "\udfff", "\u202e", "lobby", "LOBBY", "a".repeat(300)),
);
export const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 53 + 1, -0, 1e308, Number.MAX_SAFE_INTEGER, -1));
export const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, nastyString, nastyNumber, fc.boolean(), fc.constant(null), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(nastyString, tie("v"), { maxKeys: 3 })),
})).v;
/** A frame's optional `ref`. */
export const ref = fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { nil: undefined });

/** `frame` with one field replaced (by any value), added or dropped, as JSON. */
export function mutate(frame: object, key: string, v: unknown, drop: boolean): string {
  const o: Record<string, unknown> = { ...frame };
  if (drop) delete o[key];
  else Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(o);
}
