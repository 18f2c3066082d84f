// The HTTP router in process, as hono's app.request() does it: no port, no socket. The paths
// here never upgrade, so Bun's Server is never touched (a stub stands in for it).
import { describe, expect, it } from "bun:test";
import type { Server } from "bun";
import { defaultConfig } from "../src/config.ts";
import { createMetricsOnlyRoutes, createRoutes, type Fetch } from "../src/http/routes.ts";
import { createUpgrade } from "../src/http/upgrade.ts";
import { IpLimits } from "../src/ip-limits.ts";
import { silentLogger } from "../src/log.ts";
import type { RefusalReason } from "../src/metrics.ts";
import type { Session } from "../src/session.ts";

const noServer = {} as Server<Session>;

/** The real router and admission pipeline over switchable state; `refused` records refusals. */
function inProcess(opts: { metrics?: boolean } = {}) {
  const state = { draining: false, ready: true };
  const refused: RefusalReason[] = [];
  const serving = { draining: () => state.draining, ready: () => state.ready };
  const upgrade = createUpgrade({
    config: defaultConfig(),
    state: serving,
    auth: null,
    limits: new IpLimits({ maxConnections: 10, maxPerIp: 0, ipRatePerSecond: 0 }),
    refused: (r) => void refused.push(r),
    noisy: silentLogger,
    newSession: () => {
      throw new Error("no path in these tests may create a session");
    },
  });
  const metrics = opts.metrics ? async () => new Response("hubbub_up 1\n") : null;
  const fetch: Fetch = createRoutes({ state: serving, metrics, upgrade });
  const request = async (path: string, init?: RequestInit) => (await fetch(new Request(`http://hubbub.test${path}`, init), noServer))!;
  return { state, refused, request };
}

describe("HTTP routes in process", () => {
  it("answers /healthz with 200 ok", async () => {
    const r = await inProcess().request("/healthz");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("ok\n");
  });

  it("answers /readyz with 200, then 503 when the engine is down or the server drains", async () => {
    const app = inProcess();
    expect((await app.request("/readyz")).status).toBe(200);
    app.state.ready = false;
    const down = await app.request("/readyz");
    expect([down.status, await down.text()]).toEqual([503, "engine not ready\n"]);
    app.state.draining = true;
    const draining = await app.request("/readyz");
    expect([draining.status, await draining.text()]).toEqual([503, "shutting down\n"]);
  });

  it("answers an unknown path with 404, and /metrics with 404 when METRICS_PORT serves it", async () => {
    const app = inProcess();
    expect((await app.request("/nope")).status).toBe(404);
    expect((await app.request("/metrics")).status).toBe(404);
    const r = await inProcess({ metrics: true }).request("/metrics");
    expect([r.status, await r.text()]).toEqual([200, "hubbub_up 1\n"]);
  });

  it("answers a plain GET /ws with 426 and an Upgrade header, without refusing anyone", async () => {
    const app = inProcess();
    const r = await app.request("/ws");
    expect(r.status).toBe(426);
    expect(r.headers.get("upgrade")).toBe("websocket");
    expect(app.refused).toEqual([]);
  });

  it("refuses /ws with 503 while draining, before anything else, and counts it", async () => {
    const app = inProcess();
    app.state.draining = true;
    const r = await app.request("/ws");
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(app.refused).toEqual(["shutting_down"]);
  });

  it("the METRICS_PORT router serves /metrics and nothing else", async () => {
    const fetch = createMetricsOnlyRoutes(async () => new Response("m\n"));
    expect((await fetch(new Request("http://hubbub.test/metrics"))).status).toBe(200);
    expect((await fetch(new Request("http://hubbub.test/healthz"))).status).toBe(404);
  });
});
