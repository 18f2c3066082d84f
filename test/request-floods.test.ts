// Every frame type is metered, not only chat: a flood of requests that are cheap to send but
// not to answer (history, who, ping) is refused with `rate_limited` and cut off as abuse (1008),
// never left to pile replies into the flooder's own buffer until it is evicted as slow (4008).
// And the work a connection may have waiting is bounded (MAX_QUEUED_REQUESTS): with an engine
// that answers slowly, the excess is refused at once and the rest is answered, each once.
import { describe, expect, it } from "bun:test";
import type { HistoryStore, PresenceStore } from "../src/engine/engine.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { MAX_QUEUED_REQUESTS } from "../src/session.ts";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import type { Ref, ServerFrame } from "../src/shared/protocol.ts";
import { TestClient, startServer } from "./helpers.ts";

const FLOOD = 2000;
const REQUESTS_PER_SECOND = 20;

/** The replies carrying each ref, by ref. */
function repliesByRef(c: TestClient): Map<Ref, ServerFrame[]> {
  const out = new Map<Ref, ServerFrame[]>();
  for (const f of c.log) {
    const ref = (f as { ref?: Ref }).ref;
    if (ref === undefined) continue;
    const list = out.get(ref) ?? [];
    list.push(f);
    out.set(ref, list);
  }
  return out;
}

describe("request floods", () => {
  const floods: [string, (ref: number) => object][] = [
    ["history", (ref) => ({ type: "history", room: "lobby", ref })],
    ["who", (ref) => ({ type: "who", room: "lobby", ref })],
    ["ping", (ref) => ({ type: "ping", ref })],
  ];
  for (const [type, frame] of floods) {
    it(`answers a flood of ${FLOOD} ${type} requests with rate_limited and closes it as abuse (1008), not as a slow consumer`, async () => {
      await using app = await startServer({ requestRateLimit: REQUESTS_PER_SECOND, rateLimit: 1000 });
      // Enough history that each unmetered reply would be sizeable (50 messages, ~16 KiB).
      await using writer = await TestClient.join(app, { name: "writer" });
      for (let i = 0; i < 50; i++) writer.send({ type: "chat", text: `${i} ${"w".repeat(250)}` });
      await writer.sync();
      const c = await TestClient.join(app, { name: "flooder" });
      for (let ref = 0; ref < FLOOD; ref++) c.send(frame(ref));
      const first = await c.error(ErrorCode.RateLimited);
      expect(first).toMatchObject({ message: expect.stringContaining("too many requests") });
      expect((await c.closed).code).toBe(CloseCode.Abuse);

      const byRef = repliesByRef(c);
      const errors = c.all("error");
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.code).toBe(ErrorCode.RateLimited);
        expect(typeof e.ref).toBe("number");
        expect(e.ref as number).toBeLessThan(FLOOD);
      }
      // Each ref is answered at most once (the rest were never read: the connection was closed).
      for (const [ref, replies] of byRef) expect({ ref, n: replies.length }).toEqual({ ref, n: 1 });
      // Only the burst (twice the rate, plus what refilled meanwhile) was answered.
      const answered = [...byRef.values()].filter(([f]) => f!.type !== "error").length;
      expect(answered).toBeGreaterThanOrEqual(REQUESTS_PER_SECOND * 2);
      expect(answered).toBeLessThan(REQUESTS_PER_SECOND * 3);
    });
  }
});

describe("waiting requests", () => {
  const gated: [string, (engine: MemoryEngine, gate: Promise<void>) => void, (ref: string) => object, ServerFrame["type"]][] = [
    [
      "history",
      (engine, gate) => {
        const store: HistoryStore = engine.history;
        const page = store.page.bind(store);
        store.page = (room, q) => gate.then(() => page(room, q));
      },
      (ref) => ({ type: "history", room: "lobby", ref }),
      "history",
    ],
    [
      "who",
      (engine, gate) => {
        const store: PresenceStore = engine.presence;
        const page = store.page.bind(store);
        store.page = (room, after, limit) => gate.then(() => page(room, after, limit));
      },
      (ref) => ({ type: "who", room: "lobby", ref }),
      "users",
    ],
  ];
  for (const [type, holdReads, frame, replyType] of gated) {
    it(`refuses ${type} requests past MAX_QUEUED_REQUESTS waiting with rate_limited, then answers every queued one exactly once`, async () => {
      const engine = new MemoryEngine({ historySize: 100 });
      await using app = await startServer({ requestRateLimit: 10_000 }, { engine });
      await using c = await TestClient.join(app, { name: "patient" });
      let open!: () => void;
      holdReads(engine, new Promise<void>((resolve) => (open = resolve)));
      // One request runs (held at the gate), MAX_QUEUED_REQUESTS wait behind it, the rest are
      // refused: fewer than the strikes that would close the connection.
      const refused = 10;
      const total = 1 + MAX_QUEUED_REQUESTS + refused;
      const refs = Array.from({ length: total }, (_, i) => `q${i}`);
      for (const ref of refs) c.send(frame(ref));
      const errors = await c.count("error", refused);
      for (const e of errors) {
        expect(e).toMatchObject({ code: ErrorCode.RateLimited, message: expect.stringContaining("too many requests waiting") });
      }
      expect(errors.map((e) => e.ref)).toEqual(refs.slice(total - refused));
      expect(c.all(replyType).filter((f) => (f as { ref?: Ref }).ref !== undefined)).toEqual([]);

      open();
      await c.count(replyType, 1 + MAX_QUEUED_REQUESTS + (replyType === "users" ? 1 : 0));
      await c.sync();
      const byRef = repliesByRef(c);
      for (const ref of refs) {
        const replies = byRef.get(ref) ?? [];
        expect({ ref, types: replies.map((f) => f.type) }).toEqual({ ref, types: [refs.indexOf(ref) < total - refused ? replyType : "error"] });
      }
    });
  }
});
