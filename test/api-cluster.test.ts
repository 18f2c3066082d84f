// The server API and webhooks on a cluster of two nodes sharing a real redis-server: a request
// to one node acts on users and rooms of every node, and each event is sent once.
import { afterAll, beforeAll, expect, it } from "bun:test";
import { RedisClient } from "bun";
import { mintToken } from "../src/auth.ts";
import { redisKeys } from "../src/engine/redis-keys.ts";
import { RedisEngine } from "../src/engine/redis.ts";
import { silentLogger } from "../src/log.ts";
import { CloseCode } from "../src/shared/codes.ts";
import type { App } from "../src/server.ts";
import type { WebhookEvent } from "../src/webhooks/events.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, startServer, until } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";
import { TEST_WEBHOOK_SECRET, startReceiver } from "./webhook-receiver.ts";
import { RecordingSink } from "./engine-contract.ts";

const SECRET = "a-cluster-auth-secret-long-enough-0002";

describeRedis("server API on a cluster", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  async function pair(extra: Record<string, unknown> = {}): Promise<[App, App] & AsyncDisposable> {
    const prefix = uniquePrefix("api");
    const start = () => startServer(clusterConfig(redis, prefix, { apiKey: [API_KEY], ...extra }), { webhookTimings: { retryBaseMs: 20, leaveGraceMs: 100 } });
    const nodes: [App, App] = [await start(), await start()];
    return Object.assign(nodes, { [Symbol.asyncDispose]: async () => void (await Promise.all(nodes.map((n) => n.shutdown()))) });
  }

  it("publishes through node A to members on node B, and reads B's members and rooms from A", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using bob = await TestClient.join(b, { name: "bob", room: "den" });
    await using cat = await TestClient.join(b, { name: "cat", room: "yard" });
    const r = await api(a, "POST", "/rooms/den/messages", { text: "hello from the backend", cid: "c1" });
    expect(r.status).toBe(201);
    expect(await bob.next("message")).toMatchObject({ seq: r.body.seq, id: r.body.id, from: { id: "~system" }, text: "hello from the backend" });
    expect((await api(b, "POST", "/rooms/den/messages", { text: "hello from the backend", cid: "c1" })).body).toEqual({ ...r.body, duplicate: true });
    const members = await api(a, "GET", "/rooms/den/members");
    expect(members.body).toEqual({ room: "den", count: 1, users: [{ id: bob.id, name: "bob" }] });
    expect((await api(a, "GET", "/rooms")).body).toEqual({ rooms: [{ room: "den", count: 1, visibility: "public" }, { room: "yard", count: 1, visibility: "public" }] });
    expect((await api(a, "GET", "/rooms/den/messages")).body.messages.map((m: { text: string }) => m.text)).toEqual(["hello from the backend"]);
    // A room emptied leaves the listing.
    await cat.close();
    await until(async () => (await api(a, "GET", "/rooms")).body.rooms.length === 1, 3000, "the emptied room to leave the listing");
  });

  it("prunes from the room listing a room its index holds without members (a dead node's)", async () => {
    const prefix = uniquePrefix("prune");
    const engine = new RedisEngine({ url: redis.url, prefix, historySize: 10, nodeTtlMs: 1000, log: silentLogger });
    await engine.start(new RecordingSink());
    try {
      const raw = new RedisClient(redis.url);
      await raw.connect();
      const keys = redisKeys(prefix);
      await engine.presence.join("alive", { id: "u1", name: "one" });
      // What a reaped node leaves: the room indexed, its members gone.
      await raw.send("ZADD", [keys.rooms, "0", "ghost"]);
      await raw.send("ZADD", [keys.rooms, "0", "another-ghost"]);
      expect(await engine.presence.rooms(undefined, 1)).toEqual({ rooms: [{ room: "alive", count: 1 }] });
      expect(await raw.send("ZRANGE", [keys.rooms, "0", "-1"])).toEqual(["alive"]);
      raw.close();
    } finally {
      await engine.close();
    }
  });

  it("sends a direct message through node A to a user on node B", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using bob = await TestClient.join(b, { name: "bob" });
    const r = await api(a, "POST", `/users/${bob.id}/messages`, { text: "psst" });
    expect(r.status).toBe(201);
    expect(await bob.next("direct")).toMatchObject({ id: r.body.id, from: { id: "~system" }, to: { id: bob.id }, text: "psst" });
  });

  it("answers a direct message retried on the other node with the first, sent once, even after its recipient left", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    const bob = await TestClient.join(b, { name: "bob" });
    const first = await api(a, "POST", `/users/${bob.id}/messages`, { text: "psst", cid: "dm-1" });
    expect(first.status).toBe(201);
    const retry = await api(b, "POST", `/users/${bob.id}/messages`, { text: "psst", cid: "dm-1" });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    await bob.sync();
    expect(bob.all("direct").map((f) => f.id)).toEqual([first.body.id]);
    await bob.close();
    await until(async () => (await api(a, "GET", `/users/${bob.id}`)).status === 404, 3000, "bob to be gone");
    expect((await api(a, "POST", `/users/${bob.id}/messages`, { text: "psst", cid: "dm-1" })).body).toEqual({ ...first.body, duplicate: true });
    expect((await api(a, "POST", `/users/${bob.id}/messages`, { text: "psst", cid: "dm-2" })).status).toBe(404);
  });

  it("disconnects a user whose connections are on both nodes, from either", async () => {
    await using nodes = await pair({ authSecret: SECRET });
    const [a, b] = nodes;
    const token = await mintToken(SECRET, "user-9", "mallory", 60);
    const onA = await TestClient.join(a, { token, room: "den" });
    const onB = await TestClient.join(b, { token, room: "den" });
    const r = await api(b, "POST", "/users/user-9/disconnect", { reason: "account closed" });
    expect(r.status).toBe(202);
    for (const c of [onA, onB]) expect(await c.closed).toEqual({ code: CloseCode.Disconnected, reason: "account closed" });
  });

  it("sends each event once, from the node where it happened", async () => {
    await using receiver = startReceiver();
    await using nodes = await pair({ webhookUrl: receiver.url, webhookSecret: TEST_WEBHOOK_SECRET });
    const [a, b] = nodes;
    const alice = await TestClient.join(a, { name: "alice", room: "den" });
    const bob = await TestClient.join(b, { name: "bob", room: "den" });
    await alice.chat("from a");
    await bob.chat("from b");
    await api(b, "POST", "/rooms/den/messages", { text: "from the api" });
    await bob.close();
    const of = (es: WebhookEvent[], t: string) => es.filter((e) => e.type === t);
    const events = await receiver.until((es) => of(es, "member.left").length === 1 && of(es, "message.created").length === 3, "the events");
    expect(receiver.badSignatures).toEqual([]);
    expect(of(events, "message.created").map((e) => (e.data as { text: string }).text).sort()).toEqual(["from a", "from b", "from the api"]);
    expect(of(events, "member.joined").map((e) => (e.data as { user: { name: string } }).user.name).sort()).toEqual(["alice", "bob"]);
    expect(of(events, "member.left").map((e) => (e.data as { user: { name: string } }).user.name)).toEqual(["bob"]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    await alice.close();
  });
});
