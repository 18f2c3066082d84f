import { describe, expect, it } from "bun:test";
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
