// Property-based fuzzing of the two parsers every client byte goes through: the frame parser
// (protocol.ts) and the slash-command parser (commands/index.ts), first as pure functions, then
// through a live server. Sized to finish in a few seconds; raise FUZZ_RUNS to search longer.
import { assertNoPoisoning, restoreGlobals } from "@fast-check/poisoning";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import fc from "fast-check";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { parseCommand } from "../src/shared/slash.ts";
import { ClientFrame, ServerFrame, parseClientFrame } from "../src/shared/protocol.ts";
import { mutate, nastyString, ref, value } from "./arbitraries.ts";
import { TestClient, startServer } from "./helpers.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));

// ---- arbitraries ----------------------------------------------------------------------------

const cid = fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined });
const seq = fc.option(fc.nat(), { nil: undefined });
/** Valid frames of every client type. */
const validFrame = fc.oneof(
  fc.record({ type: fc.constant("chat"), text: nastyString, room: fc.option(fc.constantFrom("lobby", "fuzz"), { nil: undefined }), cid, ref }, { requiredKeys: ["type", "text"] }),
  fc.record({ type: fc.constant("join"), room: fc.constantFrom("lobby", "fuzz", "x"), since: seq, epoch: fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: undefined }), ref }, { requiredKeys: ["type", "room"] }),
  fc.record({ type: fc.constant("leave"), room: fc.constantFrom("fuzz", "x", "nope"), ref }, { requiredKeys: ["type", "room"] }),
  fc.record({ type: fc.constant("nick"), name: nastyString.filter((s) => s.length <= 256), ref }, { requiredKeys: ["type", "name"] }),
  fc.record({ type: fc.constant("who"), room: fc.constantFrom("lobby", "fuzz"), after: fc.option(fc.string({ maxLength: 16 }), { nil: undefined }), limit: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), ref }, { requiredKeys: ["type", "room"] }),
  fc.record({ type: fc.constant("direct"), to: nastyString.filter((s) => s.length <= 256), text: nastyString, cid, ref }, { requiredKeys: ["type", "to", "text"] }),
  fc.oneof(
    fc.record({ type: fc.constant("history"), room: fc.constantFrom("lobby", "fuzz"), before: seq, limit: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }), ref }, { requiredKeys: ["type", "room"] }),
    fc.record({ type: fc.constant("history"), room: fc.constantFrom("lobby", "fuzz"), after: seq, limit: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }), ref }, { requiredKeys: ["type", "room"] }),
  ),
  fc.record({ type: fc.constant("ping"), ref }, { requiredKeys: ["type"] }),
);

/** A valid frame with one field replaced, added or dropped. */
const mutatedFrame = fc.tuple(validFrame, fc.constantFrom("type", "text", "room", "ref", "cid", "since", "epoch", "before", "after", "limit", "to", "name", "__proto__", "extra"), value, fc.boolean()).map(([f, key, v, drop]) => mutate(f, key, v, drop));

/** Slash-command texts, well-formed and not. */
const command = fc.tuple(fc.constantFrom("/", "//", "/ ", ""), fc.constantFrom("me", "shrug", "nick", "join", "leave", "msg", "who", "help", "NICK", "bogus", ""), fc.constantFrom(" ", "", "\t", "\n"), nastyString, fc.constantFrom("", " x", " hello there")).map((p) => p.join(""));

/** Any text frame: valid, mutated, commands, random JSON, random text, truncated JSON. */
const anyFrame = fc.oneof(
  validFrame.map((f) => JSON.stringify(f)),
  mutatedFrame,
  command.map((text) => JSON.stringify({ type: "chat", text })),
  value.map((v) => JSON.stringify(v) ?? "null"),
  nastyString,
  validFrame.chain((f) => {
    const s = JSON.stringify(f);
    return fc.nat({ max: s.length }).map((n) => s.slice(0, n));
  }),
);

beforeAll(() => restoreGlobals());
afterAll(() => assertNoPoisoning({ ignoredRootRegex: /^(__|Bun$|process$|global$|WebSocket$|navigator$)/ }));

describe("frame parser (unit)", () => {
  it("never throws; answers a known error code or a frame the schema accepts", () => {
    fc.assert(
      fc.property(fc.oneof(anyFrame, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), (data) => {
        const r = parseClientFrame(data);
        if (r.ok) expect(ClientFrame.safeParse(r.frame).success).toBe(true);
        else expect(ERROR_CODES.has(r.code)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts every valid frame unchanged", () => {
    fc.assert(
      fc.property(validFrame, (f) => {
        const r = parseClientFrame(JSON.stringify(f));
        expect(r).toEqual({ ok: true, frame: JSON.parse(JSON.stringify(f)) });
      }),
      { numRuns: RUNS },
    );
  });

  it("never lets __proto__ or constructor keys reach a prototype", () => {
    fc.assert(
      fc.property(validFrame, value, (f, v) => {
        const raw = JSON.stringify(f).replace(/^\{/, `{"__proto__":${JSON.stringify({ polluted: v }) ?? "null"},"constructor":{"prototype":{"polluted":1}},`);
        parseClientFrame(raw);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS / 4 },
    );
    assertNoPoisoning({ ignoredRootRegex: /^(__|Bun$|process$|global$|WebSocket$|navigator$)/ });
  });
});

describe("slash-command parser (unit)", () => {
  it("never throws, and classifies every text consistently", () => {
    fc.assert(
      fc.property(fc.oneof(command, nastyString), (text) => {
        const p = parseCommand(text);
        if (!text.startsWith("/")) expect(p).toEqual({ kind: "text", text });
        else if (text.startsWith("//")) expect(p).toEqual({ kind: "text", text: text.slice(1) });
        else {
          expect(p.kind).toBe("command");
          if (p.kind !== "command") return;
          expect(p.name).toBe(p.name.toLowerCase());
          expect(/\s/.test(p.name)).toBe(false);
          expect(p.args).toBe(p.args.trim());
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("live server fuzz", () => {
  it("thousands of random and mutated frames: only valid replies, closes only with an abuse code, a control client unaffected", async () => {
    await using app = await startServer({ rateLimit: 100_000, joinRateLimit: 100_000, maxPayloadBytes: 4096 });
    await using control = await TestClient.join(app, { name: "control", room: "fuzz" });
    const frames = fc.sample(anyFrame, { numRuns: RUNS, seed: 42 });
    let client = await TestClient.join(app, { room: "fuzz" });
    let reconnects = 0;
    const received: ServerFrame[] = [];
    for (let i = 0; i < frames.length; i += 50) {
      for (const f of frames.slice(i, i + 50)) client.send(f);
      const alive = await client.sync().then(() => true, () => false);
      if (!alive) {
        // Closed: only because it earned it (too many errors, or a frame over the limit).
        expect([CloseCode.Abuse, CloseCode.TooBig]).toContain((await client.closed).code as 1008 | 1009);
        received.push(...client.log);
        client = await TestClient.join(app, { room: "fuzz" });
        reconnects++;
      }
    }
    received.push(...client.log, ...control.log);
    for (const f of received) expect(ServerFrame.safeParse(f).success).toBe(true);
    await client.close();
    // The control client's stream is intact and the server still answers.
    await control.sync();
    const seqs = control.all("message").map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect((await control.chat("still fine")).seq).toBe(seqs.length + 1);
    expect(reconnects).toBeLessThan(frames.length / 20);
  }, 20_000);
});
