// The pure pieces, without sockets: parsing, names, commands, presence diffs, limits, config.
import { describe, expect, it } from "bun:test";
import { memoryLogger } from "./helpers.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import { parseCommand } from "../src/commands/index.ts";
import { defaultConfig, loadConfig, parseOriginPolicy } from "../src/config.ts";
import { History } from "../src/history.ts";
import { throttledLogger } from "../src/log.ts";
import { guestName, nameKey, normalizeName, normalizeRoom } from "../src/names.ts";
import { isOriginAllowed } from "../src/origin.ts";
import { addChange, emptyDiff } from "../src/presence.ts";
import { codePointLength, parseClientFrame, type MessageFrame } from "../src/shared/protocol.ts";
import { TokenBucket } from "../src/shared/rate-limit.ts";

describe("parseClientFrame", () => {
  const ok: [string, object][] = [
    ['{"type":"chat","text":"hi"}', { type: "chat", text: "hi" }],
    ['{"type":"chat","text":"hi","room":"a","ref":"r","junk":1}', { type: "chat", text: "hi", room: "a", ref: "r" }],
    ['{"type":"join","room":"a","since":3}', { type: "join", room: "a", since: 3 }],
    ['{"type":"leave","room":"a"}', { type: "leave", room: "a" }],
    ['{"type":"direct","to":"bob","text":"x","ref":5}', { type: "direct", to: "bob", text: "x", ref: 5 }],
    ['{"type":"history","room":"a","after":0,"limit":10}', { type: "history", room: "a", after: 0, limit: 10 }],
    ['{"type":"history","room":"a","before":9}', { type: "history", room: "a", before: 9 }],
    ['{"type":"who","room":"a","after":"x","limit":3,"ref":1}', { type: "who", room: "a", after: "x", limit: 3, ref: 1 }],
    ['{"type":"nick","name":"bob"}', { type: "nick", name: "bob" }],
    ['{"type":"chat","text":"hi","cid":"c1"}', { type: "chat", text: "hi", cid: "c1" }],
    ['{"type":"ping"}', { type: "ping" }],
  ];
  for (const [raw, frame] of ok) it(`accepts ${raw}`, () => expect(parseClientFrame(raw)).toEqual({ ok: true, frame: frame as never }));

  const bad: [string | Buffer, string][] = [
    ["", ErrorCode.InvalidJson],
    ["{", ErrorCode.InvalidJson],
    ["[]", ErrorCode.InvalidMessage],
    ["1", ErrorCode.InvalidMessage],
    ['{"type":null}', ErrorCode.InvalidMessage],
    ['{"type":"CHAT","text":"x"}', ErrorCode.UnknownType],
    ['{"type":"toString"}', ErrorCode.UnknownType],
    ['{"type":"__proto__"}', ErrorCode.UnknownType],
    ['{"type":"chat"}', ErrorCode.InvalidMessage],
    ['{"type":"join","room":"a","since":-1}', ErrorCode.InvalidMessage],
    ['{"type":"history","room":"a","limit":100000}', ErrorCode.InvalidMessage],
    ['{"type":"direct","to":"b"}', ErrorCode.InvalidMessage],
    ['{"type":"chat","text":"x","ref":9007199254740993}', ErrorCode.InvalidMessage],
    [Buffer.from('{"type":"ping"}'), ErrorCode.InvalidMessage],
  ];
  for (const [raw, code] of bad) it(`refuses ${JSON.stringify(String(raw))} with ${code}`, () => expect(parseClientFrame(raw)).toMatchObject({ ok: false, code }));

  it("never throws on deep nesting", () => {
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    expect(parseClientFrame(deep).ok).toBe(false);
  });
});

describe("codePointLength", () => {
  it("counts astral characters once and lone surrogates as one each", () => {
    expect(codePointLength("abc")).toBe(3);
    expect(codePointLength("😀x")).toBe(2);
    expect(codePointLength("\ud83d")).toBe(1);
    expect(codePointLength("\ude00\ud83d")).toBe(2);
  });
});

describe("names", () => {
  it("normalises user names to NFC and trims them", () => {
    expect(normalizeName(" Zoe\u0301 ")).toBe("Zoé");
    expect(normalizeName("अमित")).toBe("अमित");
    expect(normalizeName("a.b-c_d9")).toBe("a.b-c_d9");
    for (const bad of ["", " ", "a b", "x".repeat(33), "a\u200bb", "a\u202eb", "t\tab", "\u0301a"]) expect(normalizeName(bad)).toBeNull();
    expect(normalizeName("x".repeat(32))).toBe("x".repeat(32));
  });

  it("lower-cases rooms and checks their pattern", () => {
    expect(normalizeRoom("Lobby")).toBe("lobby");
    expect(normalizeRoom("a-b_c")).toBe("a-b_c");
    for (const bad of ["", "_a", "a b", "a".repeat(33), "é"]) expect(normalizeRoom(bad)).toBeNull();
  });

  it("compares names case-insensitively and by compatibility form", () => {
    expect(nameKey("Alice")).toBe(nameKey("alice"));
    expect(nameKey("ａｌｉｃｅ")).toBe(nameKey("alice"));
    expect(nameKey("bob")).not.toBe(nameKey("alice"));
  });

  it("makes guest names of guest- and hex digits", () => {
    expect(guestName()).toMatch(/^guest-[0-9a-f]{4}$/);
    expect(guestName(6)).toMatch(/^guest-[0-9a-f]{6}$/);
  });
});

describe("parseCommand", () => {
  it("separates text, escaped slashes and commands", () => {
    expect(parseCommand("hello")).toEqual({ kind: "text", text: "hello" });
    expect(parseCommand("//etc")).toEqual({ kind: "text", text: "/etc" });
    expect(parseCommand("/ME  waves  ")).toEqual({ kind: "command", name: "me", args: "waves" });
    expect(parseCommand("/msg bob hi\nthere")).toEqual({ kind: "command", name: "msg", args: "bob hi\nthere" });
    expect(parseCommand("/")).toEqual({ kind: "command", name: "", args: "" });
  });
});

describe("presence diffs", () => {
  const a = { id: "1", name: "a" };
  const a2 = { id: "1", name: "a2" };
  const b = { id: "2", name: "b" };
  /** Applies a diff the way clients must: leaves, then joins. */
  const apply = (state: Map<string, string>, d: ReturnType<typeof emptyDiff>) => {
    for (const id of d.leaves.keys()) state.delete(id);
    for (const [id, m] of d.joins) state.set(id, m.name);
    return state;
  };

  it("ends in the right state from any intermediate snapshot", () => {
    // Every ordering of changes must give the final state on top of any earlier state.
    const changes: [typeof a[], typeof a[]][] = [[[a], []], [[b], []], [[a2], [a]], [[], [b]], [[b], []], [[], [a2]]];
    const truth = new Map<string, string>();
    const states: Map<string, string>[] = [new Map()];
    const diff = emptyDiff();
    for (const [joins, leaves] of changes) {
      addChange(diff, joins, leaves);
      for (const m of leaves) truth.delete(m.id);
      for (const m of joins) truth.set(m.id, m.name);
      states.push(new Map(truth));
    }
    for (const s of states) expect(apply(new Map(s), diff)).toEqual(truth);
  });

  it("keeps a leave after a join in the same interval (a snapshot may have shown the join)", () => {
    const d = emptyDiff();
    addChange(d, [b], []);
    addChange(d, [], [b]);
    expect([...d.joins.keys()]).toEqual([]);
    expect([...d.leaves.keys()]).toEqual(["2"]);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then the rate", () => {
    const t = new TokenBucket(10, 20, 0);
    let n = 0;
    while (t.take(0)) n++;
    expect(n).toBe(20);
    expect(t.take(50)).toBe(false);
    expect(t.take(100)).toBe(true);
  });
});

describe("History", () => {
  const msg = (seq: number): MessageFrame => ({ type: "message", room: "r", seq, id: String(seq), ts: 0, from: { id: "u", name: "u" }, kind: "text", text: "" });
  const seqs = (p: { messages: { seq: number }[]; more: boolean }) => [p.messages.map((m) => m.seq), p.more];
  it("keeps the newest `capacity` messages in order and pages them after, before and newest", () => {
    const h = new History(3);
    for (let i = 1; i <= 5; i++) h.push(msg(i));
    expect(seqs(h.page({ limit: 10 }))).toEqual([[3, 4, 5], false]);
    expect(seqs(h.page({ limit: 2 }))).toEqual([[4, 5], true]);
    expect(seqs(h.page({ after: 3, limit: 10 }))).toEqual([[4, 5], false]);
    expect(seqs(h.page({ after: 0, limit: 1 }))).toEqual([[3], true]);
    expect(seqs(h.page({ after: 9, limit: 5 }))).toEqual([[], false]);
    expect(seqs(h.page({ before: 5, limit: 1 }))).toEqual([[4], true]);
    expect(seqs(h.page({ before: 4, limit: 5 }))).toEqual([[3], false]);
    expect(seqs(h.page({ before: 1, limit: 5 }))).toEqual([[], false]);
    expect(seqs(new History(0).page({ limit: 5 }))).toEqual([[], false]);
  });
});

describe("config", () => {
  it("has the documented defaults", () => {
    expect(defaultConfig()).toMatchObject({
      port: 3000, host: "0.0.0.0", maxPayloadBytes: 65536, maxTextLength: 4000, rateLimit: 20, slowConsumerBytes: 1048576,
      historySize: 100, presenceIntervalMs: 50, idleTimeoutS: 60, shutdownTimeoutMs: 10000, allowedOrigins: { kind: "same" }, logLevel: "info",
    });
  });

  it("reads env, lets flags win, and names the setting on a bad value", () => {
    const r = loadConfig({ PORT: "4000", RATE_LIMIT: "5" }, ["--port", "4001"]);
    expect(r.ok === true && r.config.port).toBe(4001);
    expect(r.ok === true && r.config.rateLimit).toBe(5);
    expect(loadConfig({ PORT: "70000" })).toEqual({ ok: false, error: 'invalid setting PORT (--port) = "70000": must be at most 65535' });
    expect(loadConfig({ LOG_LEVEL: "loud" })).toMatchObject({ ok: false, error: expect.stringContaining("LOG_LEVEL") });
    expect(loadConfig({}, ["--bogus"])).toMatchObject({ ok: false, error: expect.stringContaining("bogus") });
    expect(loadConfig({}, ["--help"])).toMatchObject({ ok: "help" });
  });
});

describe("origin policy", () => {
  it("same-origin compares the Origin's host with Host", () => {
    const same = parseOriginPolicy("");
    expect(isOriginAllowed(same, null, "h:1")).toBe(true);
    expect(isOriginAllowed(same, "http://h:1", "h:1")).toBe(true);
    expect(isOriginAllowed(same, "http://h:2", "h:1")).toBe(false);
    expect(isOriginAllowed(same, "garbage", "h:1")).toBe(false);
    expect(isOriginAllowed(parseOriginPolicy("https://a.example/"), "https://A.example", "x")).toBe(true);
    expect(isOriginAllowed(parseOriginPolicy("a,*"), "https://any", "x")).toBe(true);
  });
});

describe("throttledLogger", () => {
  it("writes one line per message per interval, and says how many it dropped", () => {
    const out = memoryLogger();
    let t = 0;
    const log = throttledLogger(out, 1000, () => t);
    for (let i = 0; i < 5; i++) log.warn("connection refused", { i });
    log.error("handler failed");
    expect(out.lines).toEqual([{ level: "warn", msg: "connection refused", i: 0 }, { level: "error", msg: "handler failed" }]);
    t = 999;
    log.warn("connection refused", { i: 5 });
    t = 1000;
    log.warn("connection refused", { i: 6 });
    log.warn("connection refused", { i: 7 });
    t = 5000;
    log.warn("connection refused", { i: 8 });
    expect(out.lines.slice(2)).toEqual([
      { level: "warn", msg: "connection refused", i: 6, suppressed: 5 },
      { level: "warn", msg: "connection refused", i: 8, suppressed: 1 },
    ]);
  });
});

describe("hmacSha256", () => {
  it("agrees with node:crypto's HMAC-SHA256 for keys shorter than, equal to and longer than a block", async () => {
    const { createHmac, randomBytes } = await import("node:crypto");
    const { hmacSha256 } = await import("../src/identity.ts");
    for (const len of [1, 32, 63, 64, 65, 200]) {
      for (const message of ["", "a", "é✓ unicode", "x".repeat(1000)]) {
        const key = randomBytes(len);
        expect(hmacSha256(key)(message).toString("hex")).toBe(createHmac("sha256", key).update(message).digest("hex"));
        const text = key.toString("base64url");
        expect(hmacSha256(text)(message).toString("hex")).toBe(createHmac("sha256", text).update(message).digest("hex"));
      }
    }
  });
});
