// A fast-check pass over the server API's inputs: random JSON bodies (well-formed and not),
// path segments and query strings, against a live server. Every answer must be a real status
// with the one error shape, never a 5xx, and the server must keep serving.
import { describe, expect, it } from "bun:test";
import fc from "fast-check";
import { ErrorCode } from "../src/shared/codes.ts";
import { ApiErrorCode } from "../src/http/api/errors.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { startServer } from "./helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const CODES = new Set<string>([...Object.values(ErrorCode), ...Object.values(ApiErrorCode)]);

const nasty = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", " ", "system", "SYSTEM", "~system", "__proto__", "constructor", "\u0000", "\ud800", "\u202e", "den", "a".repeat(300)),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(nasty, tie("v"), { maxKeys: 3 })),
})).v;
/** Bodies close to valid ones, so the fuzz gets past the schema often. */
const nearBody = fc.record(
  { text: fc.oneof(nasty, value), from: fc.oneof(fc.record({ name: fc.oneof(nasty, value) }), value), cid: fc.oneof(nasty, value), kind: fc.oneof(fc.constantFrom("text", "action"), value), reason: fc.oneof(nasty, value), sub: nasty, name: nasty, ttl: fc.oneof(fc.integer(), value), rooms: fc.oneof(fc.array(nasty, { maxLength: 3 }), value) },
  { requiredKeys: [] },
);
const body = fc.oneof(nearBody, value, fc.string({ maxLength: 60 }).map((raw) => ({ raw })));
const segment = fc.oneof(fc.constantFrom("den", "DEN", "nobody", "~system", "%", "%00", "..", "a%2Fb"), nasty.map((s) => encodeURIComponent(s.toWellFormed())));
const query = fc.dictionary(fc.constantFrom("before", "after", "limit", "cursor", "x"), fc.oneof(nasty, fc.integer().map(String)), { maxKeys: 3 });
const call = fc.tuple(
  fc.constantFrom("POST /rooms/{}/messages", "GET /rooms/{}/messages", "GET /rooms/{}/members", "GET /rooms", "GET /users/{}", "POST /users/{}/messages", "POST /users/{}/disconnect", "POST /tokens", "PUT /rooms/{}/messages"),
  segment,
  query,
  body,
);

describe("server API fuzz", () => {
  it("answers every random request with a real status and the error shape, never a 5xx", async () => {
    await using app = await startServer({ apiKey: [API_KEY], apiRateLimit: 1_000_000, authSecret: "a-fuzz-auth-secret-long-enough-00003" });
    await fc.assert(
      fc.asyncProperty(call, async ([route, seg, q, b]) => {
        const [method, pattern] = route.split(" ") as [string, string];
        const qs = new URLSearchParams(q).toString();
        const path = pattern.replace("{}", seg) + (qs ? `?${qs}` : "");
        const raw = typeof b === "object" && b !== null && "raw" in b && Object.keys(b).length === 1 ? { raw: String((b as { raw: string }).raw) } : {};
        // GET has no body (fetch refuses one).
        const r = method === "GET" ? await api(app, method, path) : await api(app, method, path, "raw" in raw ? undefined : b, raw);
        expect(r.status).toBeLessThan(500);
        expect([200, 201, 202, 400, 404, 405, 409, 413]).toContain(r.status);
        if (r.status >= 400) {
          expect(Object.keys(r.body)).toEqual(["error"]);
          expect(CODES.has(r.body.error.code)).toBe(true);
          expect(typeof r.body.error.message).toBe("string");
        }
      }),
      { numRuns: RUNS },
    );
    // Still serving.
    expect((await api(app, "GET", "/rooms")).status).toBe(200);
  }, 60_000);
});
