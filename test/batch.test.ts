// Batched frames over real sockets: a client that asked (`?batch=1` or the batch subprotocol)
// gets a room's frames of one event-loop turn in one WebSocket frame, one JSON frame per line,
// in order, its acks after the messages they acknowledge; a client that did not ask never sees
// a joined frame.
import { describe, expect, it } from "bun:test";
import type { App } from "../src/server.ts";
import { BATCH_SUBPROTOCOL, SUBPROTOCOL } from "../src/shared/limits.ts";
import { encode, type ServerFrame } from "../src/shared/protocol.ts";
import { TestClient, eventually, startServer } from "./helpers.ts";
import { messagesIn, record, sdkClient } from "./sdk.ts";

/** A raw WebSocket that keeps every WebSocket frame as received, and the JSON frames in them. */
async function rawClient(app: App, query: string, protocols?: string[]) {
  const ws = new WebSocket(`${app.wsUrl}?${query}`, protocols);
  const wire: string[] = [];
  const frames: ServerFrame[] = [];
  ws.addEventListener("message", (e) => {
    wire.push(String(e.data));
    for (const line of String(e.data).split("\n")) frames.push(JSON.parse(line) as ServerFrame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("could not connect")), { once: true });
  });
  await eventually(() => frames.some((f) => f.type === "users"), 3000, "the join's answer");
  return { ws, wire, frames, [Symbol.dispose]: () => ws.close() };
}

const notices = (n: number, from = 0) => Array.from({ length: n }, (_, i) => encode({ type: "notice", text: `n${from + i}` }));
const texts = (frames: ServerFrame[]) => frames.flatMap((f) => (f.type === "notice" ? [f.text] : []));

describe("batched frames", () => {
  it("packs a room's frames of one turn into one WebSocket frame for batch clients only, in order", async () => {
    await using app = await startServer();
    using batched = await rawClient(app, "name=bat&room=den&batch=1");
    using plain = await rawClient(app, "name=pla&room=den");
    const before = batched.wire.length;
    for (const f of notices(20)) app.hub.publishRoom("den", f);
    await eventually(() => texts(plain.frames).length === 20 && texts(batched.frames).length === 20, 3000, "every notice at both");
    expect(batched.wire.length - before).toBe(1);
    expect(texts(batched.frames)).toEqual(texts(plain.frames));
    expect(texts(batched.frames)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    for (const w of plain.wire) expect(w).not.toContain("\n");
  });

  it("sends a batch client's ack after the message it acknowledges, and replies after held frames", async () => {
    await using app = await startServer({ rateLimit: 1000 });
    using a = await rawClient(app, "name=alice&room=den&batch=1");
    for (const f of notices(3)) app.hub.publishRoom("den", f);
    a.ws.send(JSON.stringify({ type: "chat", room: "den", text: "hello", ref: "c1" }));
    await eventually(() => a.frames.some((f) => f.type === "ack"), 3000, "the ack");
    const order = a.frames.map((f) => (f.type === "notice" ? f.text : f.type));
    expect(order.indexOf("n2")).toBeLessThan(order.indexOf("message"));
    expect(order.indexOf("message")).toBeLessThan(order.indexOf("ack"));
  });

  it("is asked for with the subprotocol too, and answers that subprotocol", async () => {
    await using app = await startServer();
    using b = await rawClient(app, "name=sub&room=den", [BATCH_SUBPROTOCOL, SUBPROTOCOL]);
    expect(b.ws.protocol).toBe(BATCH_SUBPROTOCOL);
    const before = b.wire.length;
    for (const f of notices(5)) app.hub.publishRoom("den", f);
    await eventually(() => texts(b.frames).length === 5, 3000, "the notices");
    expect(b.wire.length - before).toBe(1);
    using p = await rawClient(app, "name=pla&room=den", [SUBPROTOCOL]);
    expect(p.ws.protocol).toBe(SUBPROTOCOL);
  });

  it("groups a BATCH_MS window's frames, across turns", async () => {
    await using app = await startServer({ batchMs: 1000 });
    using b = await rawClient(app, "name=win&room=den&batch=1");
    const before = b.wire.length;
    for (const f of notices(3)) app.hub.publishRoom("den", f);
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const f of notices(3, 3)) app.hub.publishRoom("den", f);
    await eventually(() => texts(b.frames).length === 6, 3000, "the notices");
    expect(b.wire.length - before).toBe(1);
  });

  it("is what the SDK asks for: it splits batches and delivers every message once, in order", async () => {
    await using app = await startServer({ rateLimit: 1000 });
    await using sdk = await sdkClient(app, { name: "sdk", rooms: ["den"] });
    const rec = record(sdk);
    expect([...app.hub.all()].map((s) => s.batch)).toEqual([true]);
    await using sender = await TestClient.join(app, { name: "snd", room: "den" });
    for (let i = 0; i < 30; i++) sender.send({ type: "chat", room: "den", text: `m${i}` });
    const got = await messagesIn(rec, sdk, "den", 30);
    expect(got.map((m) => m.text)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
  });
});
