// A big reply must not evict the reader that asked for it. A `history` page is capped in bytes
// (MAX_HISTORY_REPLY_BYTES) as well as in count, since a message of control characters is six
// times its text once JSON-escaped; and a reader that is draining a backlog is left alone while
// one that sits on it in a busy room is evicted (4008): the sustained-backlog rule of
// src/backpressure.ts.
import { describe, expect, it } from "bun:test";
import { MAX_HISTORY_REPLY_BYTES } from "../src/replies.ts";
import type { Session } from "../src/session.ts";
import { CloseCode } from "../src/shared/codes.ts";
import type { HistoryFrame } from "../src/shared/protocol.ts";
import type { App } from "../src/server.ts";
import { TestClient, clientFrame, parseServerFrames, rawWebSocket, readUntilClosed, startServer } from "./helpers.ts";

const MAX_TEXT_LENGTH = 4000;
/** A text that JSON-escapes to six times its length (`\u0001` each). */
const ESCAPED_TEXT = "\u0001".repeat(MAX_TEXT_LENGTH);
/** Room for the 200 messages, and a message rate that lets a writer fill it at once. */
const ROOMY = { historySize: 1000, rateLimit: 100_000, requestRateLimit: 100_000, maxTextLength: MAX_TEXT_LENGTH };

/** Posts `n` messages into `room`, one ack at a time (so the writer's own copies never pile up). */
async function fill(app: App, room: string, n: number): Promise<void> {
  await using writer = await TestClient.join(app, { name: `writer-${room}`, room });
  for (let i = 0; i < n; i++) await writer.chat(ESCAPED_TEXT, room);
}

function sessionNamed(app: App, name: string): Session {
  const s = [...app.hub.all()].find((x) => x.name === name);
  if (!s) throw new Error(`no session named ${name}`);
  return s;
}

const bytes = (f: unknown) => Buffer.byteLength(JSON.stringify(f));

describe("big replies", () => {
  it("caps a history page of escaped control characters near 256 KiB with more, and paging with before reaches every message once", async () => {
    await using app = await startServer(ROOMY);
    await fill(app, "big", 200);
    await using reader = await TestClient.join(app, { name: "reader", room: "big" });
    const seqs: number[] = [];
    let before: number | undefined;
    for (let page = 0; ; page++) {
      expect(page).toBeLessThan(200);
      const ref = `p${page}`;
      reader.send({ type: "history", room: "big", limit: 200, ref, ...(before === undefined ? {} : { before }) });
      const h = (await reader.next((f) => f.type === "history" && f.ref === ref)) as HistoryFrame;
      expect(h.messages.length).toBeGreaterThan(0);
      expect(bytes(h)).toBeLessThanOrEqual(MAX_HISTORY_REPLY_BYTES + 1024);
      if (page === 0) {
        // Far fewer than asked for (200 messages would be 4.8 MB), and said so.
        expect(h.messages.length).toBeLessThan(200);
        expect(h.more).toBe(true);
        expect(h.messages.at(-1)!.seq).toBe(200);
      }
      seqs.unshift(...h.messages.map((m) => m.seq));
      if (!h.more) break;
      before = h.messages[0]!.seq;
    }
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(reader.all("error")).toEqual([]);
  }, 20_000);

  it("does not evict a raw reader that drains a backlog of big replies slowly but steadily", async () => {
    const budget = 256 * 1024;
    await using app = await startServer({ ...ROOMY, slowConsumerBytes: budget });
    await fill(app, "big", 200);
    await using writer = await TestClient.join(app, { name: "writer", room: "big" });
    const raw = await rawWebSocket(app.server.port!, "?name=reader&room=big");
    raw.socket.pause();
    await writer.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "reader"));
    const reader = sessionNamed(app, "reader");
    // First the kernel's socket buffers fill (a few MiB on loopback): until then nothing stays
    // in Bun's buffer, and the policy would have nothing to judge.
    for (let i = 0; i < 2000 && reader.bufferedAmount() === 0; i++) await writer.chat(ESCAPED_TEXT, "big");
    expect(reader.bufferedAmount()).toBeGreaterThan(0);
    // Then six full pages, about 1.5 MiB: far over the budget, short of its hard headroom.
    const pages = 6;
    for (let i = 0; i < pages; i++) raw.socket.write(clientFrame(1, JSON.stringify({ type: "history", room: "big", limit: 200, ref: `p${i}` })));
    let received = raw.rest;
    let peak = 0;
    const done = new Promise<{ history: number; closed: boolean }>((resolve, reject) => {
      raw.socket.on("data", (d: Buffer) => {
        received = Buffer.concat([received, d]);
        // One chunk per tick: the reader takes what the kernel hands it, then waits.
        raw.socket.pause();
        const frames = parseServerFrames(received);
        const closed = frames.some((f) => f.opcode === 8);
        const history = frames.filter((f) => f.opcode === 1 && f.payload.subarray(0, 20).toString().startsWith('{"type":"history"')).length;
        if (closed || history === pages) resolve({ history, closed });
      });
      raw.socket.once("close", () => reject(new Error("the reader's socket closed")));
    });
    const tick = setInterval(() => {
      peak = Math.max(peak, reader.bufferedAmount());
      raw.socket.resume();
    }, 25);
    try {
      expect(await done).toEqual({ history: pages, closed: false });
    } finally {
      clearInterval(tick);
    }
    // Otherwise the backlog never passed the budget and the test proved nothing about the policy.
    // (On loopback the kernel's autotuned buffers soon take the rest, so this backlog lasts
    // well under BACKLOG_GRACE_MS; a drain that outlasts the grace is hub.test.ts's, on a fake.)
    expect(peak).toBeGreaterThan(budget);
    expect(reader.closing).toBe(false);
    expect(app.hub.localMembers("big")).toBe(2);
    raw.socket.destroy();
  }, 20_000);

  it("evicts with 4008 a paused raw reader that sits on its backlog in a busy room", async () => {
    const budget = 256 * 1024;
    await using app = await startServer({ ...ROOMY, slowConsumerBytes: budget });
    await using writer = await TestClient.join(app, { name: "writer", room: "busy" });
    const slow = await rawWebSocket(app.server.port!, "?name=sloth&room=busy");
    slow.socket.pause();
    await writer.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "sloth"));
    const sloth = sessionNamed(app, "sloth");
    // Just over the budget, well short of the hard headroom: only the sustained-backlog rule
    // (over budget, not draining, past BACKLOG_GRACE_MS) can evict it.
    for (let i = 0; i < 1000 && !sloth.closing && sloth.bufferedAmount() <= budget; i++) await writer.chat(ESCAPED_TEXT, "busy");
    expect(sloth.bufferedAmount()).toBeGreaterThan(budget);
    const left = await writer.next((f) => f.type === "presence" && f.leaves.some((m) => m.name === "sloth"), 5000);
    expect(left.type).toBe("presence");
    const frames = parseServerFrames(await readUntilClosed(slow));
    const close = frames.find((f) => f.opcode === 8);
    expect(close?.payload.readUInt16BE(0)).toBe(CloseCode.SlowConsumer);
    // The writer, who reads, was never in trouble.
    expect((await writer.chat("still here", "busy")).room).toBe("busy");
  }, 20_000);
});
