// Read markers over real sockets: `read {room, seq}` keeps how far a user has read (monotonic,
// capped at the room's latest seq), answers with the marker as kept, tells the user's other
// connections in the room, and a later join's `users` answer carries it as `lastRead`.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import { MemoryReadMarkers } from "../src/read-markers.ts";
import type { App } from "../src/server.ts";
import { TestClient, startServer, tempDir } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";

async function say(c: TestClient, n: number, room = "den"): Promise<void> {
  for (let i = 0; i < n; i++) {
    c.send({ type: "chat", room, text: `line ${i}`, ref: `s${i}` });
    await c.next("ack");
  }
}

describe("read markers", () => {
  it("survives a restart with the durable store: a returning user's join carries its lastRead", async () => {
    using dir = tempDir();
    const GUEST_SECRET = "m".repeat(40);
    let resume: string;
    {
      await using app = await startServer({ dataDir: dir.path, guestSecret: GUEST_SECRET });
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      await say(alice, 4);
      expect(await alice.request({ type: "read", room: "den", seq: 3 })).toMatchObject({ type: "read", seq: 3 });
      resume = alice.resume!;
    }
    await using app = await startServer({ dataDir: dir.path, guestSecret: GUEST_SECRET });
    await using back = await TestClient.connect(app, { resume, room: "den" });
    expect(await back.next("users")).toMatchObject({ room: "den", seq: 4, lastRead: 3 });
  });

  it("keeps the highest seq read, answers it, and tells the user's other tabs in the room, not other users", async () => {
    await using app = await startServer();
    await using tab1 = await TestClient.join(app, { name: "alice", room: "den" });
    await using tab2 = await TestClient.join(app, { resume: tab1.resume!, room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    await say(bob, 3);

    tab1.send({ type: "read", room: "den", seq: 2, ref: "r1" });
    expect(await tab1.next("read")).toEqual({ type: "read", room: "den", seq: 2, ref: "r1" });
    expect(await tab2.next("read")).toEqual({ type: "read", room: "den", seq: 2 });
    // Never lowered; capped at the room's latest seq.
    tab2.send({ type: "read", room: "den", seq: 1, ref: "r2" });
    expect(await tab2.next("read")).toEqual({ type: "read", room: "den", seq: 2, ref: "r2" });
    tab2.send({ type: "read", room: "den", seq: 99, ref: "r3" });
    expect(await tab2.next("read")).toEqual({ type: "read", room: "den", seq: 3, ref: "r3" });
    expect(await tab1.next("read")).toEqual({ type: "read", room: "den", seq: 3 });
    // Unchanged markers are not told again.
    tab1.send({ type: "read", room: "den", seq: 3, ref: "r4" });
    await tab1.next((f) => f.type === "read" && f.ref === "r4");
    tab2.send({ type: "ping", ref: "p" });
    await tab2.next("pong");
    // tab2 heard of seq 2 only: its own moves are not echoed to it, tab1's last one moved nothing.
    expect(tab2.all("read").filter((f) => f.ref === undefined)).toEqual([{ type: "read", room: "den", seq: 2 }]);
    expect(bob.all("read")).toEqual([]);
  });

  it("gives a join's answer the user's lastRead, and none where the user has no marker", async () => {
    await using app = await startServer();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    await say(bob, 4);
    alice.send({ type: "read", room: "den", seq: 3, ref: "r" });
    await alice.next("read");
    // A reload: the same user, on a new connection, in the handshake room and by join.
    await using again = await TestClient.connect(app, { resume: alice.resume!, room: "den" });
    await again.next("welcome");
    expect(await again.next("users")).toMatchObject({ room: "den", seq: 4, lastRead: 3 });
    again.send({ type: "join", room: "games", ref: "j" });
    const games = await again.next("users");
    expect(games.lastRead).toBeUndefined();
    again.send({ type: "leave", room: "den", ref: "l" });
    await again.next("left");
    again.send({ type: "join", room: "den", ref: "j2" });
    expect(await again.next((f) => f.type === "users" && f.ref === "j2")).toMatchObject({ lastRead: 3 });
    // Another user's join carries their own marker (none), never alice's.
    await using carol = await TestClient.connect(app, { name: "carol", room: "den" });
    await carol.next("welcome");
    expect((await carol.next("users")).lastRead).toBeUndefined();
  });

  it("answers not_in_room for a room the connection is not in, and refuses a bad seq", async () => {
    await using app = await startServer();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    alice.send({ type: "read", room: "games", seq: 1, ref: "a" });
    expect(await alice.next("error")).toMatchObject({ code: "not_in_room", ref: "a" });
    alice.send({ type: "read", room: "den", seq: -1, ref: "b" });
    expect(await alice.next("error")).toMatchObject({ code: "invalid_message", ref: "b" });
  });
});

describe("MemoryReadMarkers", () => {
  it("raises within an epoch, replaces across epochs, and forgets the least recently active user past its bound", () => {
    const m = new MemoryReadMarkers(2);
    expect(m.advance("u1", "den", { seq: 5, epoch: "e1" })).toEqual({ seq: 5, epoch: "e1" });
    expect(m.advance("u1", "den", { seq: 3, epoch: "e1" })).toEqual({ seq: 5, epoch: "e1" });
    expect(m.advance("u1", "den", { seq: 1, epoch: "e2" })).toEqual({ seq: 1, epoch: "e2" });
    m.advance("u2", "den", { seq: 1, epoch: "e2" });
    m.advance("u1", "games", { seq: 1, epoch: "e2" });
    m.advance("u3", "den", { seq: 1, epoch: "e2" });
    expect(m.size).toBe(2);
    expect(m.get("u2", "den")).toBeNull();
    expect(m.get("u1", "den")).toEqual({ seq: 1, epoch: "e2" });
  });
});

describeRedis("read markers across a cluster", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it("tells the user's tab on another node", async () => {
    const prefix = uniquePrefix("reads");
    const secret = "s".repeat(32);
    const start = () => startServer(clusterConfig(redis, prefix, { authSecret: secret }));
    const nodes: App[] = [await start(), await start()];
    try {
      // One user (one token's sub) with a tab on each node.
      const token = await mintToken(secret, "user-1", "alice", 60);
      await using tab1 = await TestClient.join(nodes[0]!, { token, room: "den" });
      await using tab2 = await TestClient.join(nodes[1]!, { token, room: "den" });
      await say(tab1, 2);
      tab1.send({ type: "read", room: "den", seq: 2, ref: "r" });
      expect(await tab1.next("read")).toMatchObject({ seq: 2, ref: "r" });
      expect(await tab2.next("read")).toEqual({ type: "read", room: "den", seq: 2 });
    } finally {
      await Promise.all(nodes.map((n) => n.shutdown()));
    }
  });
});
