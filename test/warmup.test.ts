// The start-up warm-up (src/warmup.ts): a spawned server warms up before it listens, and keeps
// nothing of it (no rooms, no connections counted, no webhook events); an in-process warm-up
// answers every synthetic client, with tokens when AUTH_SECRET is set and with ANON_ROOMS=0.
import { describe, expect, it } from "bun:test";
import { defaultConfig } from "../src/config.ts";
import { WARMUP_TIMEOUT_MS, crowdOf, openFileLimit, warmUp, warmUpConfig, warmUpPlan } from "../src/warmup.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, metricSample, spawnServer, tempDir } from "./helpers.ts";
import { TEST_WEBHOOK_SECRET, startReceiver } from "./webhook-receiver.ts";

const listening = (lines: string[]) => lines.map((l) => JSON.parse(l) as { msg: string; warmup?: { connections: number; ms: number } | null }).find((l) => l.msg === "listening");

describe("warm-up", () => {
  it("runs before the server listens, says so on the listening line, and leaves no trace: rooms, metrics and webhooks see only real clients", async () => {
    await using dir = tempDir();
    await using receiver = startReceiver();
    await using srv = await spawnServer({
      WARMUP: "300", DATA_DIR: dir.path, API_KEY, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    });
    expect(listening(srv.lines)?.warmup?.connections).toBe(300);

    await using alice = await TestClient.join(srv.wsUrl, { name: "alice", room: "real" });
    const events = await receiver.until((es) => es.some((e) => e.type === "member.joined"), "alice's join");
    expect(events.map((e) => e.type).sort()).toEqual(["member.joined", "user.connected"]);
    expect(JSON.stringify(events)).not.toContain("warm-up");

    const rooms = await api(srv.httpUrl, "GET", "/rooms");
    expect(rooms.body.rooms.map((r: { room: string }) => r.room)).toEqual(["real"]);
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    expect(metricSample(metrics, "hubbub_connections_total")).toBe(1);
    expect(metricSample(metrics, "hubbub_connections")).toBe(1);
    expect(metricSample(metrics, "hubbub_rooms")).toBe(1);
    expect(alice.name).toBe("alice");
  });

  it("is off with WARMUP=0, and a bad WARMUP stops start-up with one line", async () => {
    await using srv = await spawnServer({ WARMUP: "0" });
    expect(listening(srv.lines)?.warmup).toBeNull();
    await expect(spawnServer({ WARMUP: "lots" })).rejects.toThrow(/invalid setting WARMUP \(--warmup\) = "lots"/);
    await expect(spawnServer({ WARMUP: "20000" })).rejects.toThrow(/invalid setting WARMUP/);
  });

  it("answers every synthetic client, with minted tokens under AUTH_SECRET and when guests may not create rooms", async () => {
    const secret = "warm-up-test-secret-0123456789abcdef";
    expect(await warmUp(defaultConfig({ dataDir: "" }), 120)).toMatchObject({ connections: 120 });
    expect(await warmUp(defaultConfig({ dataDir: "", authSecret: secret, audience: "hubbub-test" }), 80)).toMatchObject({ connections: 80 });
    expect(await warmUp(defaultConfig({ dataDir: "", anonRooms: false }), 40)).toMatchObject({ connections: 40 });
  });

  it("takes turns between two servers, and interleaves the crowd room's members with rooms of ten, as far as open files allow", () => {
    const plan = Array.from({ length: 100 }, (_, i) => warmUpPlan(i, 30));
    expect(plan.map((p) => p.server)).toEqual(Array.from({ length: 100 }, (_, i) => i % 2));
    const crowd = plan.flatMap((p, i) => (p.room === "warm-up-crowd" ? [i] : []));
    expect(crowd).toHaveLength(30);
    // Pairs alternate small, crowd, … until the crowd is in: 2, 3, 6, 7, …, 58, 59.
    expect(crowd.slice(0, 4)).toEqual([2, 3, 6, 7]);
    expect(crowd.at(-1)).toBe(59);
    // Every other room holds ten members on each server.
    for (const server of [0, 1]) {
      const sizes = Object.values(Object.groupBy(plan.filter((p) => p.server === server && p.room !== "warm-up-crowd"), (p) => p.room)).map((m) => m!.length);
      expect(sizes).toEqual([10, 10, 10, 5]);
    }
    expect(crowdOf(1000, 20_000)).toBe(500);
    // (1,024 - 200 kept clear) / 2 descriptors each, less 64 handshakes in flight.
    expect(crowdOf(1000, 1024)).toBe(348);
    expect(crowdOf(1000, 300)).toBe(0);
    expect(openFileLimit("Limit  Soft Limit  Hard Limit  Units\nMax open files            20000                20000                files\n")).toBe(20_000);
    expect(openFileLimit("Max open files            unlimited            unlimited            files")).toBe(Number.MAX_SAFE_INTEGER);
    expect(openFileLimit(null)).toBe(1024);
    const cfg = warmUpConfig(defaultConfig({ dataDir: "/var/lib/hubbub", webhookUrl: "http://x", apiKey: [API_KEY], port: 3000 }), 2000, 600);
    expect(cfg).toMatchObject({ port: 0, host: "127.0.0.1", dataDir: "", store: "memory", engine: "memory", webhookUrl: "", apiKey: [], presenceListMax: 150 });
    expect(warmUpConfig(defaultConfig(), 20, 10).presenceListMax).toBe(10);
  });

  it("warms up fully and at once in a process limited to 1,024 open files", async () => {
    // Two descriptors per synthetic connection (client and server side): a warm-up that kept its
    // whole crowd open would run out at about 500 and wait out WARMUP_TIMEOUT_MS.
    await using srv = await spawnServer({ WARMUP: "1000" }, ["bash", "-c", `ulimit -n 1024 && exec ${process.execPath} src/index.ts`]);
    const w = listening(srv.lines)?.warmup;
    expect(w?.connections).toBe(1000);
    expect(w!.ms).toBeLessThan(WARMUP_TIMEOUT_MS);
  });
});
