import { describe, expect, it } from "bun:test";
import type { Authenticator, AuthResult } from "../src/auth.ts";
import { CloseCode } from "../src/shared/codes.ts";
import { TestClient, UPGRADE_HEADERS, rawRequest, spawnServer, startServer } from "./helpers.ts";

describe("graceful shutdown", () => {
  it("on SIGTERM: every client gets shutdown then 1001, every acked message was delivered, exit 0", async () => {
    await using srv = await spawnServer({ SHUTDOWN_TIMEOUT_MS: "5000", RATE_LIMIT: "1000" });
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => TestClient.join(srv.wsUrl, { name: `c${i}`, room: "den" })));
    // Every client sends and gets acks; acked messages must reach everyone before the close.
    const acks = (await Promise.all(clients.map((c) => Promise.all([c.chat(`a from ${c.name}`), c.chat(`b from ${c.name}`)])))).flat();
    const started = Date.now();
    srv.proc.kill("SIGTERM");
    srv.proc.kill("SIGTERM"); // a second signal changes nothing
    const closes = await Promise.all(clients.map((c) => c.closed));
    for (const close of closes) expect(close).toEqual({ code: CloseCode.GoingAway, reason: "server shutting down" });
    for (const c of clients) {
      const last = c.log.at(-1);
      expect(last).toMatchObject({ type: "shutdown", reason: "server shutting down" });
      expect((last as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      const seqs = new Set(c.all("message").map((m) => m.seq));
      for (const a of acks) expect(seqs.has(a.seq)).toBe(true);
    }
    expect(await srv.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(srv.lines.some((l) => l.includes('"stopped"'))).toBe(true);
  }, 15_000);

  it("exits on SIGINT too, and with no clients at once", async () => {
    await using srv = await spawnServer();
    const started = Date.now();
    srv.proc.kill("SIGINT");
    expect(await srv.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("gives up waiting at SHUTDOWN_TIMEOUT_MS when a peer never reads, and still exits", async () => {
    await using srv = await spawnServer({ SHUTDOWN_TIMEOUT_MS: "1000" });
    // A raw peer that never reads its socket nor answers the close handshake.
    const r = await rawRequest(srv.port, "/ws?name=stubborn", UPGRADE_HEADERS);
    expect(r.status).toBe(101);
    r.socket.pause();
    const started = Date.now();
    srv.proc.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
    const took = Date.now() - started;
    expect(took).toBeLessThan(2500);
    r.socket.destroy();
  });

  it("is idempotent in process: a second call returns the same promise", async () => {
    const app = await startServer();
    const a = app.shutdown();
    const b = app.shutdown();
    expect(a).toBe(b);
    await a;
  });
});

describe("shutdown during an upgrade's token check", () => {
  it("refuses (503) a connection whose token was still being verified when shutdown began, and stops promptly", async () => {
    // An authenticator that holds each verification until the test lets it go: the upgrade is
    // parked exactly at its await, with no timing guess.
    let verifying!: () => void;
    const verifyStarted = new Promise<void>((resolve) => (verifying = resolve));
    let release!: (r: AuthResult) => void;
    const verdict = new Promise<AuthResult>((resolve) => (release = resolve));
    const authenticator: Authenticator = {
      verify: () => {
        verifying();
        return verdict;
      },
    };
    await using app = await startServer({ shutdownTimeoutMs: 3000 }, { authenticator });
    const response = rawRequest(app.server.port!, "/ws?token=t", UPGRADE_HEADERS);
    await verifyStarted;
    const started = Date.now();
    const stopped = app.shutdown();
    release({ ok: true, identity: { userId: "u1", name: "late" } });
    const r = await response;
    // The peer stays connected until shutdown is done: a late socket must not hold it up.
    await stopped;
    r.socket.destroy();
    expect(r.status).toBe(503);
    expect(r.head).toContain("Retry-After: 1");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(app.hub.size).toBe(0);
  });
});
