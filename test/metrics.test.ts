import { describe, expect, it } from "bun:test";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { TestClient, eventually, metricSample as sample, startServer } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix } from "./redis.ts";


async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

describe("/metrics", () => {
  it("exposes every metric the operator needs, in Prometheus text format", async () => {
    await using app = await startServer({ rateLimit: 5, presenceIntervalMs: 5 });
    const text = await scrape(`${app.httpUrl}/metrics`);
    for (const name of [
      "hubbub_connections", "hubbub_connections_total", "hubbub_connections_closed_total", "hubbub_connections_refused_total",
      "hubbub_rooms", "hubbub_messages_in_total", "hubbub_bytes_in_total", "hubbub_messages_out_total", "hubbub_deliveries_total",
      "hubbub_bytes_out_total", "hubbub_evictions_total", "hubbub_errors_total", "hubbub_rate_limited_total",
      "hubbub_presence_frames_total", "hubbub_history_messages", "hubbub_event_loop_lag_seconds",
      "hubbub_process_resident_memory_bytes", "hubbub_process_heap_used_bytes", "hubbub_publish_to_send_seconds",
      "hubbub_redis_commands_total",
    ]) {
      expect([name, text.includes(`# TYPE ${name} `)]).toEqual([name, true]);
    }
    expect(text).toContain("# TYPE hubbub_publish_to_send_seconds histogram");
  });

  it("counts connections, traffic, presence, errors, rate limits and evictions as they happen", async () => {
    await using app = await startServer({ rateLimit: 5, presenceIntervalMs: 5 });
    const a = await TestClient.join(app, { name: "a", room: "m" });
    const b = await TestClient.join(app, { name: "b", room: "m" });
    await a.next("presence");
    for (let i = 0; i < 3; i++) await a.chat(`hello ${i}`);
    await b.count("message", 3);
    a.send("not json");
    await a.error(ErrorCode.InvalidJson);
    // A flooder: rate-limited, then evicted for abuse.
    const f = await TestClient.join(app, { name: "flood", room: "m" });
    for (let i = 0; i < 100; i++) f.send({ type: "chat", text: `x${i}` });
    expect((await f.closed).code).toBe(CloseCode.Abuse);
    await b.close();
    await eventually(() => app.hub.size === 1);
    // a has seen b come (its first presence frame) and go (a later one).
    await a.next((f) => f.type === "presence" && f.leaves.some((m) => m.name === "b"));

    const t = await scrape(`${app.httpUrl}/metrics`);
    expect(sample(t, "hubbub_connections")).toBe(1);
    expect(sample(t, "hubbub_connections_total")).toBe(3);
    expect(sample(t, 'hubbub_connections_closed_total{code="1000"}')).toBe(1);
    expect(sample(t, "hubbub_rooms")).toBe(1);
    // a: 3 chats + 1 garbage; the flooder: 10 within the burst + 20 strikes before its close.
    expect(sample(t, "hubbub_messages_in_total")).toBeGreaterThanOrEqual(34);
    // 3 from a, 10 (the burst) from the flooder: each published once.
    expect(sample(t, "hubbub_messages_out_total")).toBe(13);
    expect(sample(t, "hubbub_history_messages")).toBe(13);
    expect(sample(t, "hubbub_deliveries_total")).toBeGreaterThan(13 * 2);
    expect(sample(t, "hubbub_bytes_out_total")).toBeGreaterThan(1000);
    expect(sample(t, "hubbub_presence_frames_total")).toBeGreaterThanOrEqual(2);
    expect(sample(t, `hubbub_errors_total{code="${ErrorCode.InvalidJson}"}`)).toBe(1);
    expect(sample(t, `hubbub_errors_total{code="${ErrorCode.RateLimited}"}`)).toBeGreaterThanOrEqual(20);
    expect(sample(t, "hubbub_rate_limited_total")).toBe(sample(t, `hubbub_errors_total{code="${ErrorCode.RateLimited}"}`));
    expect(sample(t, 'hubbub_evictions_total{reason="abuse"}')).toBe(1);
    expect(sample(t, "hubbub_publish_to_send_seconds_count")).toBe(13);
    expect(sample(t, "hubbub_process_resident_memory_bytes")).toBeGreaterThan(1_000_000);
    await a.close();
  });

  it("METRICS_TOKEN: 401 without the bearer token, 200 with it", async () => {
    await using app = await startServer({ metricsToken: "scrape-me" });
    for (const auth of [undefined, "Bearer wrong", "Bearer scrape-me-not", "scrape-me", "Basic scrape-me"]) {
      const res = await fetch(`${app.httpUrl}/metrics`, { headers: auth ? { Authorization: auth } : {} });
      expect([auth, res.status]).toEqual([auth, 401]);
      expect(await res.text()).not.toContain("hubbub_");
    }
    expect(await scrape(`${app.httpUrl}/metrics`, { Authorization: "Bearer scrape-me" })).toContain("hubbub_connections");
  });

  it("METRICS_PORT: served on its own port only", async () => {
    await using app = await startServer({ metricsPort: 0 });
    expect((await fetch(`${app.httpUrl}/metrics`)).status).toBe(404);
    const port = app.metricsServer!.port;
    expect(port).not.toBe(app.server.port);
    expect(await scrape(`http://127.0.0.1:${port}/metrics`)).toContain("hubbub_connections");
    expect((await fetch(`http://127.0.0.1:${port}/ws`)).status).toBe(404);
  });
});

describeRedis("/metrics on a Redis node", () => {
  it("counts the commands the node sent to Redis: one per chat message", async () => {
    await using redis = await startRedis();
    await using app = await startServer(clusterConfig(redis, uniquePrefix("metrics"), { rateLimit: 1000, nodeTtlMs: 60_000 }));
    const a = await TestClient.join(app, { name: "a", room: "m" });
    const b = await TestClient.join(app, { name: "b", room: "m" });
    const before = sample(await scrape(`${app.httpUrl}/metrics`), "hubbub_redis_commands_total")!;
    expect(before).toBeGreaterThan(0); // start-up, joins and names went through Redis
    for (let i = 0; i < 5; i++) await a.chat(`hello ${i}`);
    await b.count("message", 5);
    const after = sample(await scrape(`${app.httpUrl}/metrics`), "hubbub_redis_commands_total")!;
    // The messages cost 5; one heartbeat (2 commands, every NODE_TTL_MS / 5) may fall in between.
    expect(after - before).toBeGreaterThanOrEqual(5);
    expect(after - before).toBeLessThanOrEqual(7);
    await a.close();
    await b.close();
  });

  it("is 0 with the memory engine", async () => {
    await using app = await startServer();
    expect(sample(await scrape(`${app.httpUrl}/metrics`), "hubbub_redis_commands_total")).toBe(0);
  });
});
