// The start-up warm-up (src/warmup.ts): a spawned server warms up before it listens, and keeps
// nothing of it (no rooms, no connections counted, no webhook events); an in-process warm-up
// answers every synthetic client, with tokens when AUTH_SECRET is set and with ANON_ROOMS=0.
import { describe, expect, it } from "bun:test";
import { defaultConfig } from "../src/config.ts";
import { warmUp, warmUpConfig, warmUpRoom } from "../src/warmup.ts";
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

  it("sends half the crowd into rooms of ten and half into one room that crosses into the large tier", () => {
    const rooms = Array.from({ length: 100 }, (_, i) => warmUpRoom(i, 100));
    expect(new Set(rooms.slice(0, 50)).size).toBe(5);
    expect(new Set(rooms.slice(50))).toEqual(new Set(["warm-up-crowd"]));
    const cfg = warmUpConfig(defaultConfig({ dataDir: "/var/lib/hubbub", webhookUrl: "http://x", apiKey: [API_KEY], port: 3000 }), 2000);
    expect(cfg).toMatchObject({ port: 0, host: "127.0.0.1", dataDir: "", store: "memory", engine: "memory", webhookUrl: "", apiKey: [], presenceListMax: 500 });
    expect(warmUpConfig(defaultConfig(), 20).presenceListMax).toBe(10);
  });
});
