import { describe, expect, it } from "bun:test";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { TestClient, clientFrame, eventually, parseServerFrames, rawWebSocket, readUntilClosed, spawnServer, startServer } from "./helpers.ts";

describe("malformed frames", () => {
  const cases: [string, string | Uint8Array<ArrayBuffer>, string][] = [
    ["non-JSON", "hello", ErrorCode.InvalidJson],
    ["truncated JSON", '{"type":"chat","text":"x"', ErrorCode.InvalidJson],
    ["a JSON array", "[1,2]", ErrorCode.InvalidMessage],
    ["a JSON string", '"chat"', ErrorCode.InvalidMessage],
    ["null", "null", ErrorCode.InvalidMessage],
    ["no type", '{"text":"x"}', ErrorCode.InvalidMessage],
    ["a numeric type", '{"type":1}', ErrorCode.InvalidMessage],
    ["an unknown type", '{"type":"welcome"}', ErrorCode.UnknownType],
    ["text of the wrong type", '{"type":"chat","text":42}', ErrorCode.InvalidMessage],
    ["a missing field", '{"type":"join"}', ErrorCode.InvalidMessage],
    ["an object ref", '{"type":"chat","text":"x","ref":{"a":1}}', ErrorCode.InvalidMessage],
    ["an over-long ref", JSON.stringify({ type: "ping", ref: "r".repeat(65) }), ErrorCode.InvalidMessage],
    ["a fractional since", '{"type":"join","room":"x","since":1.5}', ErrorCode.InvalidMessage],
    ["a huge number", '{"type":"history","room":"lobby","after":1e400}', ErrorCode.InvalidMessage],
    ["a binary frame", new Uint8Array([123, 125]), ErrorCode.InvalidMessage],
  ];
  for (const [what, data, code] of cases) {
    it(`answers ${what} with ${code} and keeps the connection`, async () => {
      await using app = await startServer();
      await using c = await TestClient.join(app);
      c.ws.send(data);
      expect(await c.error(code)).toMatchObject({ type: "error", code });
      expect((await c.chat("still here")).seq).toBe(1);
    });
  }

  it("echoes a valid ref on errors", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app);
    c.send({ type: "nope", ref: "e1" });
    expect(await c.error(ErrorCode.UnknownType)).toMatchObject({ ref: "e1" });
  });

  it("is not polluted by __proto__ or constructor keys", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app);
    c.send('{"type":"chat","text":"x","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}');
    c.send('{"__proto__":{"type":"chat","text":"via proto"}}');
    await c.next("message");
    await c.error(ErrorCode.InvalidMessage);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
    expect((await c.chat("ok")).seq).toBe(2);
  });

  it("closes a frame over MAX_PAYLOAD_BYTES with 1009, and the server keeps serving", async () => {
    await using app = await startServer({ maxPayloadBytes: 1024 });
    await using other = await TestClient.join(app);
    const c = await TestClient.join(app);
    c.send({ type: "chat", text: "x".repeat(2000) });
    expect((await c.closed).code).toBe(CloseCode.TooBig);
    expect((await other.chat("fine")).seq).toBe(1);
  });
});

describe("flooding", () => {
  it("rate-limits chat beyond the burst, then closes a sustained flood with 1008", async () => {
    await using app = await startServer({ rateLimit: 5 });
    await using bystander = await TestClient.join(app, { name: "bystander" });
    const c = await TestClient.join(app, { name: "flood" });
    for (let i = 0; i < 200; i++) c.send({ type: "chat", text: `spam ${i}`, ref: i });
    expect(await c.error(ErrorCode.RateLimited)).toMatchObject({ code: "rate_limited" });
    expect((await c.closed).code).toBe(CloseCode.Abuse);
    // The burst (2x the rate) got through, the rest did not.
    const delivered = c.all("message").length;
    expect(delivered).toBe(10);
    await bystander.sync();
    expect(bystander.all("message").length).toBe(10);
    expect((await bystander.chat("calm again")).seq).toBe(11);
  });

  it("closes a flood of garbage frames with 1008", async () => {
    await using app = await startServer();
    const c = await TestClient.join(app);
    for (let i = 0; i < 100; i++) c.send("garbage");
    expect((await c.closed).code).toBe(CloseCode.Abuse);
  });

  it("a client within the limit is never rate-limited", async () => {
    await using app = await startServer({ rateLimit: 50 });
    await using c = await TestClient.join(app);
    for (let i = 0; i < 60; i++) await c.chat(`m${i}`);
    expect(c.all("error")).toEqual([]);
  });
});

describe("slow consumers", () => {
  it("evicts a never-reading peer with 4008 while others keep receiving, with bounded server memory", async () => {
    // The server runs as its own process so its memory is measured alone.
    await using srv = await spawnServer({ SLOW_CONSUMER_BYTES: String(256 * 1024), RATE_LIMIT: "100000", MAX_PAYLOAD_BYTES: String(1 << 20), MAX_TEXT_LENGTH: String(1 << 20), PRESENCE_INTERVAL_MS: "10" });
    await using sender = await TestClient.join(srv.wsUrl, { name: "sender", room: "firehose" });
    await using reader = await TestClient.join(srv.wsUrl, { name: "reader", room: "firehose" });
    const slow = await rawWebSocket(srv.port, "?name=sloth&room=firehose");
    slow.socket.pause();
    await reader.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "sloth"));
    const rssBefore = await srv.rss();

    // 128 MiB through the room: far more than the kernel's socket buffers and our budget.
    const text = "x".repeat(16 * 1024);
    const total = 8000;
    let peak = rssBefore;
    for (let i = 0; i < total; i++) {
      sender.send({ type: "chat", text });
      // The well-behaved reader keeps up as we go (it is a fast consumer).
      if (i % 100 === 99) {
        await reader.count("message", i - 10, 10_000);
        peak = Math.max(peak, await srv.rss());
      }
    }
    await reader.count("message", total, 10_000);
    const left = await reader.next((f) => f.type === "presence" && f.leaves.some((m) => m.name === "sloth"));
    expect(left.type).toBe("presence");
    expect(reader.all("message").map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // A buffer that kept what the sloth did not read would pass 120 MiB; the rest of the growth
    // is garbage from parsing and encoding 128 MiB of frames, which the GC takes back lazily.
    expect(peak - rssBefore).toBeLessThan(64 * 1024 * 1024);

    // When the sloth finally reads, its stream ends with our close frame: 4008.
    const frames = parseServerFrames(await readUntilClosed(slow));
    const close = frames.find((f) => f.opcode === 8);
    expect(close?.payload.readUInt16BE(0)).toBe(CloseCode.SlowConsumer);
    expect(close?.payload.subarray(2).toString()).toBe("slow consumer");
    expect(srv.lines.some((l) => l.includes('"evicted"') && l.includes("4008"))).toBe(true);
  }, 30_000);

  it("a reader that resumes after eviction recovers the gap with since", async () => {
    await using app = await startServer({ slowConsumerBytes: 64 * 1024, rateLimit: 100_000, maxTextLength: 1 << 20, maxPayloadBytes: 1 << 20, historySize: 1000 });
    await using sender = await TestClient.join(app, { name: "sender", room: "feed" });
    const slow = await rawWebSocket(app.server.port!, "?name=sloth&room=feed");
    slow.socket.pause();
    await eventually(() => app.hub.localMembers("feed") === 2);
    const text = "y".repeat(32 * 1024);
    for (let i = 0; i < 400; i++) await sender.chat(text);
    await eventually(() => app.hub.localMembers("feed") === 1, 5000, "the sloth to be evicted");
    const frames = parseServerFrames(await readUntilClosed(slow));
    const seqs = frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString())).filter((f) => f.type === "message").map((f) => f.seq as number);
    const lastSeen = Math.max(0, ...seqs);
    expect(lastSeen).toBeLessThan(400);
    const epoch = sender.epoch;
    await using back = await TestClient.connect(app, { name: "sloth", room: "feed", since: String(lastSeen), epoch });
    const replay = await back.next("history");
    expect(replay.recovered).toBe(true);
    // Replies are capped in bytes: the rest comes page by page.
    const got = replay.messages.map((m) => m.seq);
    for (let more = replay.more; more; ) {
      const page = (await back.request({ type: "history", room: "feed", after: got.at(-1) })) as typeof replay;
      got.push(...page.messages.map((m) => m.seq));
      more = page.more;
    }
    expect(got).toEqual(Array.from({ length: 400 - lastSeen }, (_, i) => lastSeen + 1 + i));
  }, 30_000);
});

describe("raw protocol abuse", () => {
  it("survives a peer that sends a close frame and vanishes mid-handshake", async () => {
    await using app = await startServer();
    const r = await rawWebSocket(app.server.port!, "?name=brief");
    r.socket.write(clientFrame(8, Buffer.from([0x03, 0xe8])));
    r.socket.destroy();
    await eventually(() => app.hub.size === 0);
    await using c = await TestClient.join(app, { name: "brief" });
    expect(c.name).toBe("brief");
  });
});
