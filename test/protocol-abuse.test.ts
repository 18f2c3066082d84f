// Bad input below and inside the JSON: hand-made WebSocket frames that break RFC 6455 (Bun does
// the framing; these tests prove it closes each with the right code while a control client in
// the same room carries on), JSON edge cases, log injection, and compression bombs.
import { describe, expect, it } from "bun:test";
import zlib from "node:zlib";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { TestClient, clientFrame, eventually, parseServerFrames, rawWebSocket, spawnServer, startServer, type RawResponse } from "./helpers.ts";

/**
 * The close code and reason of the server's close frame, as soon as it arrives (the peer then
 * hangs up, as a real client would); null when the connection ended without one.
 */
function closeOf(r: RawResponse): Promise<{ code: number; reason: string } | null> {
  let buf = r.rest;
  return new Promise((resolve) => {
    const check = () => {
      const close = parseServerFrames(buf).find((f) => f.opcode === 8);
      if (!close) return;
      r.socket.destroy();
      resolve(close.payload.length >= 2 ? { code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2).toString() } : null);
    };
    r.socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      check();
    });
    r.socket.once("close", () => resolve(null));
    r.socket.resume();
    check();
  });
}

const unmasked = (opcode: number, payload: string) => Buffer.concat([Buffer.from([0x80 | opcode, Buffer.byteLength(payload)]), Buffer.from(payload)]);
const withRsv1 = (f: Buffer) => Buffer.concat([Buffer.from([f[0]! | 0x40]), f.subarray(1)]);

describe("frames that break RFC 6455", () => {
  const cases: [string, () => Buffer, number][] = [
    ["an unmasked client frame", () => unmasked(1, '{"type":"ping"}'), 1002],
    ["a reserved data opcode (3)", () => clientFrame(3, "x"), 1002],
    ["a reserved control opcode (0xB)", () => clientFrame(0xb, "x"), 1002],
    ["invalid UTF-8 in a text frame", () => clientFrame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
    ["RSV1 without a negotiated extension", () => withRsv1(clientFrame(1, "{}")), 1002],
    ["a continuation with nothing to continue", () => clientFrame(0, "x"), 1002],
    ["a control frame over 125 bytes", () => clientFrame(9, Buffer.alloc(200)), 1002],
    ["a fragmented control frame", () => clientFrame(9, "x", false), 1002],
  ];
  for (const [what, frame, code] of cases) {
    it(`closes ${what} with ${code}, and the room carries on`, async () => {
      await using app = await startServer();
      await using control = await TestClient.join(app, { name: "control", room: "abuse" });
      const r = await rawWebSocket(app.server.port!, "?name=attacker&room=abuse");
      r.socket.write(frame());
      expect((await closeOf(r))?.code).toBe(code);
      expect((await control.chat("unaffected", "abuse")).seq).toBe(1);
      await eventually(() => app.hub.size === 1);
    });
  }

  it("closes a flood of tiny fragments with 1009 once they add up past MAX_PAYLOAD_BYTES", async () => {
    await using app = await startServer({ maxPayloadBytes: 4096 });
    await using control = await TestClient.join(app, { name: "control", room: "abuse" });
    const r = await rawWebSocket(app.server.port!, "?room=abuse");
    const parts = [clientFrame(1, "a", false)];
    for (let i = 0; i < 20_000; i++) parts.push(clientFrame(0, "a", false));
    r.socket.write(Buffer.concat(parts));
    expect((await closeOf(r))?.code).toBe(CloseCode.TooBig);
    expect((await control.chat("unaffected", "abuse")).seq).toBe(1);
  });

  it("drops a fragmented message that never finishes as idle (4000), holding at most one partial frame", async () => {
    await using app = await startServer({ idleTimeoutS: 1 });
    await using control = await TestClient.join(app, { name: "control", room: "abuse" });
    const r = await rawWebSocket(app.server.port!, "?room=abuse");
    r.socket.write(Buffer.concat([clientFrame(1, '{"type":"chat","text":"never', false), clientFrame(0, " ending", false)]));
    // The peer never answers pings either; the sweep closes it with our idle code.
    const t0 = Date.now();
    expect((await closeOf(r))?.code).toBe(CloseCode.Idle);
    expect(Date.now() - t0).toBeLessThan(3000);
    await control.sync();
    expect(control.all("message")).toEqual([]);
  });

  it("keeps server memory bounded under fragment floods and bombs, in its own process", async () => {
    await using srv = await spawnServer({ MAX_PAYLOAD_BYTES: "65536", COMPRESSION: "1" });
    await using control = await TestClient.join(srv.wsUrl, { name: "control", room: "abuse" });
    const z = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    const before = await srv.rss();
    for (let round = 0; round < 20; round++) {
      // Listen from the start: a frame that arrives with no listener attached is lost.
      const flood = await rawWebSocket(srv.port, "?room=abuse");
      const floodClosed = closeOf(flood);
      const bomb = await rawWebSocket(srv.port, "?room=abuse", { "Sec-WebSocket-Extensions": "permessage-deflate" });
      const bombClosed = closeOf(bomb);
      const parts = [clientFrame(1, "a", false)];
      for (let i = 0; i < 70_000; i++) parts.push(clientFrame(0, "a", false));
      flood.socket.write(Buffer.concat(parts));
      bomb.socket.write(withRsv1(clientFrame(1, z.subarray(0, z.length - 4))));
      // The flood's close frame may be lost to a TCP reset (the server closes while the peer is
      // still writing); the in-process test above checks its code. Either way it is closed.
      expect([(await floodClosed)?.code ?? CloseCode.TooBig, (await bombClosed)?.code]).toEqual([CloseCode.TooBig, CloseCode.TooBig]);
    }
    // 20 x 64 MiB of inflated bombs never materialised: growth stays far below one bomb.
    expect((await srv.rss()) - before).toBeLessThan(32 * 1024 * 1024);
    expect((await control.chat("unaffected", "abuse")).seq).toBe(1);
  }, 20_000);
});

describe("permessage-deflate (COMPRESSION=1)", () => {
  it("is off by default and negotiated when enabled; chat works compressed", async () => {
    {
      await using app = await startServer();
      const r = await rawWebSocket(app.server.port!, "", { "Sec-WebSocket-Extensions": "permessage-deflate" });
      expect(r.head.toLowerCase()).not.toContain("permessage-deflate");
      r.socket.destroy();
    }
    await using app = await startServer({ compression: true });
    await using a = await TestClient.join(app, { name: "a" });
    expect(a.ws.extensions).toContain("permessage-deflate");
    await using b = await TestClient.join(app, { name: "b" });
    await a.chat("x".repeat(3000));
    expect((await b.next("message")).text).toBe("x".repeat(3000));
  });

  it("refuses a small compressed frame that inflates past MAX_PAYLOAD_BYTES with 1009", async () => {
    await using app = await startServer({ compression: true, maxPayloadBytes: 4096 });
    await using control = await TestClient.join(app, { name: "control" });
    const r = await rawWebSocket(app.server.port!, "", { "Sec-WebSocket-Extensions": "permessage-deflate" });
    const z = zlib.deflateRawSync(Buffer.from(JSON.stringify({ type: "chat", text: " ".repeat(100_000) })));
    expect(z.length).toBeLessThan(1024);
    r.socket.write(withRsv1(clientFrame(1, z.subarray(0, z.length - 4))));
    expect((await closeOf(r))?.code).toBe(CloseCode.TooBig);
    await control.sync();
    expect(control.all("message")).toEqual([]);
  });
});

describe("JSON edge cases", () => {
  it("10,000-deep nesting is answered, not crashed on", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app);
    c.send(`{"type":"chat","text":"deep","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`);
    c.send(`${"[".repeat(10_000)}${"]".repeat(10_000)}`);
    c.send(`{"a":${'{"a":'.repeat(5_000)}1${"}".repeat(5_001)}`);
    await c.sync();
    // The first is a chat with an ignored extra field (or refused); the others are not frames.
    expect(c.all("error").length + c.all("message").length).toBe(3);
    expect((await c.chat("alive")).seq).toBeGreaterThan(0);
  });

  it("1e400, 2^53+1 and -0 are refused where integers are required", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app);
    for (const raw of ['{"type":"ping","ref":1e400}', '{"type":"ping","ref":9007199254740993}', '{"type":"join","room":"x","since":9007199254740993}', '{"type":"history","room":"lobby","limit":1e400}']) c.send(raw);
    await c.sync();
    expect(c.all("error").map((e) => e.code)).toEqual(Array(4).fill(ErrorCode.InvalidMessage));
    c.send('{"type":"ping","ref":-0}');
    expect(await c.next("pong")).toEqual({ type: "pong", ref: 0 });
  });

  it("duplicate keys: the last one wins, the same way for every field", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app);
    c.send('{"type":"chat","text":"first","text":"second","ref":"d"}');
    expect((await c.next("message")).text).toBe("second");
    c.send('{"type":"chat","type":"ping","ref":"t"}');
    expect(await c.next("pong")).toEqual({ type: "pong", ref: "t" });
  });

  it("lone surrogates, NUL and ANSI escapes travel as escaped JSON text, never as raw bytes", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app, { name: "a" });
    await using b = await TestClient.join(app, { name: "b" });
    const texts = ["lone \ud800 high", "lone \udfff low", "nul \u0000 byte", "ansi \u001b[31mred\u001b[0m \u001b]0;title\u0007", "bidi \u202e override"];
    for (const t of texts) await a.chat(t);
    const got = (await b.count("message", texts.length)).map((m) => m.text);
    expect(got).toEqual(texts);
    // Names are stricter: none of these characters may appear in one.
    for (const name of ["a\u0000", "\u001b[31m", "x\u202e"]) {
      const c = await TestClient.connect(app, { name });
      expect((await c.next("error")).type).toBe("error");
      await c.closed;
    }
  });
});

describe("logs", () => {
  it("are one JSON object per line whatever users send, and hold no message text", async () => {
    await using srv = await spawnServer({ LOG_LEVEL: "debug", SLOW_CONSUMER_BYTES: "1024", RATE_LIMIT: "2" });
    const forged = '\n{"level":"error","msg":"forged"}\n';
    const a = await TestClient.join(srv.wsUrl, { name: "innocent" });
    a.send({ type: "chat", text: `secret text ${forged}` });
    a.send({ type: "chat", text: `/nick evil${forged}` });
    a.send({ type: "chat", text: `/msg nobody${forged} hi` });
    a.send(`garbage ${forged}`);
    await a.sync();
    a.ws.close(4000, `bye${forged}`.slice(0, 60));
    await a.closed;
    // A flood gets the name into an `evicted` line; the name cannot carry a newline anyway.
    const f = await TestClient.join(srv.wsUrl, { name: "flooder" });
    for (let i = 0; i < 200; i++) f.send({ type: "chat", text: `flood ${forged}` });
    await f.closed;
    srv.proc.kill("SIGTERM");
    await srv.exited;
    expect(srv.lines.length).toBeGreaterThan(2);
    for (const line of srv.lines) {
      const parsed = JSON.parse(line) as { msg: string };
      expect(parsed.msg).not.toBe("forged");
    }
    const all = srv.lines.join("\n");
    expect(all).not.toContain("secret text");
    expect(all).not.toContain("flood ");
  }, 15_000);
});
