import { describe, expect, it } from "bun:test";
import net from "node:net";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { IpLimits } from "../src/ip-limits.ts";
import { TestClient, UPGRADE_HEADERS, eventually, memoryLogger, rawRequest, startServer } from "./helpers.ts";

async function status(port: number, headers: Record<string, string> = {}): Promise<number> {
  const r = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, ...headers });
  r.socket.destroy();
  return r.status;
}

describe("connection limits", () => {
  it("MAX_CONNECTIONS: answers 503 before upgrading once full, and admits again when a slot frees", async () => {
    await using app = await startServer({ maxConnections: 3 });
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.join(app)));
    const r = await rawRequest(app.server.port!, "/ws", UPGRADE_HEADERS);
    expect(r.status).toBe(503);
    expect(r.head).toContain("Retry-After");
    r.socket.destroy();
    await clients[0]!.close();
    await eventually(() => app.limits.size === 2);
    await using again = await TestClient.join(app);
    expect(again.name).toMatch(/^guest-/);
    await Promise.all(clients.slice(1).map((c) => c.close()));
  });

  it("logs a flood of refusals as one line a second, not one per refusal", async () => {
    const log = memoryLogger();
    await using app = await startServer({ maxConnections: 1 }, { log });
    await using held = await TestClient.join(app);
    const statuses = await Promise.all(Array.from({ length: 50 }, () => status(app.server.port!)));
    expect(statuses.every((s) => s === 503)).toBe(true);
    // One line per second: a burst of 50 spans one or two of them, however slow the machine.
    const lines = log.lines.filter((l) => l.msg === "connection refused").length;
    expect(lines).toBeGreaterThanOrEqual(1);
    expect(lines).toBeLessThanOrEqual(2);
  });

  it("MAX_CONNECTIONS_PER_IP counts the socket's address and ignores X-Forwarded-For without TRUST_PROXY", async () => {
    await using app = await startServer({ maxConnectionsPerIp: 2 });
    const port = app.server.port!;
    const held = [await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, "X-Forwarded-For": "10.0.0.1" }), await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, "X-Forwarded-For": "10.0.0.2" })];
    expect(held.map((r) => r.status)).toEqual([101, 101]);
    expect(await status(port, { "X-Forwarded-For": "10.0.0.3" })).toBe(503);
    for (const r of held) r.socket.destroy();
    await eventually(() => app.limits.size === 0, 3000, "slots to be released");
  });

  it("with TRUST_PROXY=1 counts the last X-Forwarded-For entry (the one our proxy added)", async () => {
    await using app = await startServer({ maxConnectionsPerIp: 1, trustProxy: true });
    const port = app.server.port!;
    const a = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, "X-Forwarded-For": "198.51.100.7" });
    expect(a.status).toBe(101);
    // A client prepending a fake address does not escape its own limit …
    expect(await status(port, { "X-Forwarded-For": "203.0.113.99, 198.51.100.7" })).toBe(503);
    // … and another address has its own.
    const b = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, "X-Forwarded-For": "198.51.100.8" });
    expect(b.status).toBe(101);
    a.socket.destroy();
    b.socket.destroy();
    await eventually(() => app.limits.size === 0);
  });

  it("releases every slot after abrupt disconnects", async () => {
    await using app = await startServer({ maxConnections: 50 });
    for (let round = 0; round < 3; round++) {
      const socks = await Promise.all(Array.from({ length: 40 }, () => rawRequest(app.server.port!, "/ws?room=churn", UPGRADE_HEADERS)));
      expect(socks.every((r) => r.status === 101)).toBe(true);
      for (const r of socks) r.socket.destroy();
      await eventually(() => app.limits.size === 0 && app.hub.size === 0, 3000, "slots to be released");
    }
    expect(app.limits.addresses).toBe(0);
  });

  it("IpLimits keeps no entry for an address without sockets", () => {
    const l = new IpLimits({ maxConnections: 2, maxPerIp: 0, ipRatePerSecond: 0 });
    expect(l.acquire("a")).toMatchObject({ ok: true, bucket: null });
    expect(l.acquire("b").ok).toBe(true);
    expect(l.acquire("c")).toEqual({ ok: false, reason: "server_full" });
    l.release("a");
    l.release("a"); // a second release of a gone address changes nothing
    expect([l.size, l.addresses]).toEqual([1, 1]);
  });
});

describe("half-sent upgrade requests (slowloris)", () => {
  it("hundreds of half-sent requests do not block a normal client", async () => {
    await using app = await startServer();
    const port = app.server.port!;
    const loris = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const s = net.connect(port, "127.0.0.1");
        await new Promise((resolve) => s.once("connect", resolve));
        s.on("error", () => {});
        s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`);
        return s;
      }),
    );
    const t0 = Date.now();
    await using c = await TestClient.join(app, { name: "patient" });
    expect((await c.chat("through the crowd")).seq).toBe(1);
    expect(Date.now() - t0).toBeLessThan(1000);
    // Half-sent requests never reach our handler, so they hold no slot of ours.
    expect(app.limits.size).toBe(1);
    for (const s of loris) s.destroy();
  });
});

describe("shared budgets", () => {
  it("IP_RATE_LIMIT: many sockets from one address share one message budget", async () => {
    await using app = await startServer({ rateLimit: 1000, ipRateLimit: 5 });
    await using watcher = await TestClient.join(app, { name: "watcher" });
    const sockets = await Promise.all([1, 2, 3, 4].map((i) => TestClient.join(app, { name: `sock${i}` })));
    for (const s of sockets) for (let i = 0; i < 10; i++) s.send({ type: "chat", text: `m${i}` });
    await Promise.all(sockets.map((s) => s.sync()));
    await watcher.sync();
    const delivered = watcher.all("message").length;
    // The burst is 2 x 5 (plus what refills while the test runs), not 4 x 10.
    expect(delivered).toBeGreaterThanOrEqual(10);
    expect(delivered).toBeLessThan(15);
    expect(sockets.flatMap((s) => s.all("error")).filter((e) => e.code === ErrorCode.RateLimited).length).toBe(40 - delivered);
    await Promise.all(sockets.map((s) => s.close()));
  });

  it("JOIN_RATE_LIMIT: a join/leave loop is refused, then closed with 1008, instead of becoming a presence storm", async () => {
    await using app = await startServer({ joinRateLimit: 2, presenceIntervalMs: 5 });
    await using watcher = await TestClient.join(app, { name: "watcher", room: "calm" });
    const churner = await TestClient.join(app, { name: "churner" });
    for (let i = 0; i < 50; i++) {
      churner.send({ type: "join", room: "calm" });
      churner.send({ type: "leave", room: "calm" });
    }
    expect((await churner.closed).code).toBe(CloseCode.Abuse);
    expect(churner.all("error").filter((e) => e.code === ErrorCode.RateLimited).length).toBeGreaterThanOrEqual(15);
    await watcher.sync();
    const changes = watcher.all("presence").reduce((n, p) => n + p.joins.length + p.leaves.length, 0);
    expect(changes).toBeLessThanOrEqual(8);
  });

  it("JOIN_RATE_LIMIT also covers /join and /leave", async () => {
    await using app = await startServer({ joinRateLimit: 1 });
    await using c = await TestClient.join(app);
    c.send({ type: "chat", text: "/join a" });
    c.send({ type: "chat", text: "/leave a" });
    c.send({ type: "chat", text: "/join b" });
    expect(await c.error(ErrorCode.RateLimited)).toMatchObject({ message: expect.stringContaining("joins") });
  });
});
