// Typing indicators over real sockets: a member's `typing` reaches the room's other members as a
// coalesced `typing {room, users}`, at most once per TYPING_INTERVAL_MS per user, never in rooms
// over MAX_TYPING_ROOM_MEMBERS, metered as a request; across a cluster through Broker.signal.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { MAX_TYPING_ROOM_MEMBERS } from "../src/shared/limits.ts";
import type { App } from "../src/server.ts";
import { TestClient, startServer } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";

describe("typing", () => {
  it("tells the room's other members who is typing, answers the ref with ok, and passes one report per interval", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    alice.send({ type: "typing", room: "den", ref: "t1" });
    expect(await alice.next("ok")).toEqual({ type: "ok", ref: "t1" });
    expect(await bob.next("typing")).toEqual({ type: "typing", room: "den", users: [{ id: alice.id, name: "alice" }] });
    // A second report straight away is answered but not passed on; the message that follows it
    // arrives with no typing frame before it.
    alice.send({ type: "typing", room: "den", ref: "t2" });
    expect(await alice.next("ok")).toEqual({ type: "ok", ref: "t2" });
    alice.send({ type: "chat", text: "hello", ref: "c1" });
    await alice.next("ack");
    await bob.next("message");
    expect(bob.all("typing")).toHaveLength(1);
    // The message reset the throttle: the next keystroke reports at once.
    alice.send({ type: "typing", room: "den" });
    expect(await bob.next("typing")).toMatchObject({ users: [{ id: alice.id }] });
  });

  it("answers not_in_room for a room the connection is not in, and meters typing as a request", async () => {
    await using app = await startServer({ presenceIntervalMs: 10, requestRateLimit: 5 });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    alice.send({ type: "typing", room: "elsewhere", ref: "x" });
    expect(await alice.next("error")).toMatchObject({ code: "not_in_room", ref: "x" });
    // 5/s with a burst of 10 (one spent above): a run of twelve reports is cut off near its end.
    for (let i = 0; i < 12; i++) alice.send({ type: "typing", room: "den", ref: i });
    const refused = await alice.next((f) => f.type === "error" && f.code === "rate_limited");
    expect((refused as { ref: number }).ref).toBeGreaterThanOrEqual(8);
  });

  it(`sends no typing frames in a room of more than ${MAX_TYPING_ROOM_MEMBERS} members`, async () => {
    await using app = await startServer({ presenceIntervalMs: 10, maxConnectionsPerIp: 1000 });
    const crowd = await Promise.all(Array.from({ length: MAX_TYPING_ROOM_MEMBERS }, (_, i) => TestClient.join(app, { name: `c${i}`, room: "big" })));
    await using alice = await TestClient.join(app, { name: "alice", room: "big" });
    alice.send({ type: "join", room: "tiny", ref: "j" });
    await alice.next((f) => f.type === "users" && f.room === "tiny");
    await using watcher = await TestClient.join(app, { name: "watcher", room: "tiny" });
    // Both reports go out in the same flush: once the small room's arrives, the big room's
    // batch has been dealt with too.
    alice.send({ type: "typing", room: "big" });
    alice.send({ type: "typing", room: "tiny" });
    expect(await watcher.next("typing")).toMatchObject({ room: "tiny" });
    alice.send({ type: "chat", room: "big", text: "after", ref: "c" });
    await crowd[0]!.next((f) => f.type === "message" && f.text === "after");
    expect(crowd[0]!.all("typing")).toEqual([]);
    await Promise.all(crowd.map((c) => c.close()));
  }, 20_000);
});

describeRedis("typing across a cluster", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it("reaches members on another node through the engine's room signal", async () => {
    const prefix = uniquePrefix("typing");
    const nodes: App[] = [await startServer(clusterConfig(redis, prefix, { presenceIntervalMs: 10 })), await startServer(clusterConfig(redis, prefix, { presenceIntervalMs: 10 }))];
    try {
      await using alice = await TestClient.join(nodes[0]!, { name: "alice", room: "den" });
      await using bob = await TestClient.join(nodes[1]!, { name: "bob", room: "den" });
      alice.send({ type: "typing", room: "den" });
      expect(await bob.next("typing")).toEqual({ type: "typing", room: "den", users: [{ id: alice.id, name: "alice" }] });
    } finally {
      await Promise.all(nodes.map((n) => n.shutdown()));
    }
  });
});
