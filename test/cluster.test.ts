// Three Hubbub nodes on one Redis, in this process, with clients spread across them: they
// must behave as one server.
import { afterAll, beforeAll, expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import type { DirectMessageFrame, MessageFrame } from "../src/shared/protocol.ts";
import type { App } from "../src/server.ts";
import { TestClient, eventually, startServer, until, userView } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";

const SECRET = "a-test-secret-that-is-long-enough-000";

describeRedis("a cluster of three nodes", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  /** Three nodes sharing a fresh prefix; disposing stops them all. */
  async function cluster(): Promise<[App, App, App] & AsyncDisposable> {
    const prefix = uniquePrefix("cluster");
    const start = () => startServer(clusterConfig(redis, prefix, { rateLimit: 1000 }));
    const nodes: [App, App, App] = [await start(), await start(), await start()];
    return Object.assign(nodes, { [Symbol.asyncDispose]: async () => void (await Promise.all(nodes.map((n) => n.shutdown()))) });
  }

  it("reports ready on every node", async () => {
    await using nodes = await cluster();
    for (const n of nodes) expect((await fetch(`${n.httpUrl}/readyz`)).status).toBe(200);
  });

  it("delivers every message to every member exactly once, in the same seq order on every node", async () => {
    await using nodes = await cluster();
    const clients = await Promise.all(nodes.flatMap((n, i) => [0, 1].map((j) => TestClient.join(n, { name: `u${i}${j}`, room: "den" }))));
    const perClient = 15;
    for (let k = 0; k < perClient; k++) for (const c of clients) c.send({ type: "chat", text: `${c.name}:${k}` });
    const total = perClient * clients.length;
    const streams = await Promise.all(
      clients.map(async (c) => {
        const got: MessageFrame[] = [];
        while (got.length < total) got.push(await c.next("message"));
        return got;
      }),
    );
    expect(streams[0]!.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const order = (s: MessageFrame[]) => s.map((m) => `${m.seq}:${m.id}:${m.text}`);
    for (const s of streams) expect(order(s)).toEqual(order(streams[0]!));
    for (const c of clients) {
      const mine = streams[0]!.filter((m) => m.from.id === c.id).map((m) => m.text);
      expect(mine).toEqual(Array.from({ length: perClient }, (_, k) => `${c.name}:${k}`));
    }
    // Nothing more arrives: each message came exactly once.
    await Promise.all(clients.map((c) => c.sync()));
    for (const c of clients) expect(c.all("message")).toHaveLength(total);
    await Promise.all(clients.map((c) => c.close()));
  });

  it("converges every node's user list, through joins, leaves and disconnects", async () => {
    await using nodes = await cluster();
    const clients = await Promise.all(Array.from({ length: 9 }, (_, i) => TestClient.join(nodes[i % 3]!, { name: `p${i}`, room: "den" })));
    const gone = clients.splice(0, 2);
    gone[0]!.send({ type: "leave", room: "den" });
    await gone[1]!.close();
    const expected = new Map(clients.map((c) => [c.id, c.name] as const));
    const sorted = (m: Map<string, string>) => [...m].sort();
    await eventually(() => clients.every((c) => sorted(userView(c, "den")).join() === sorted(expected).join()), 3000, "every user list to converge");
    for (const n of nodes) {
      const watcher = await TestClient.join(n, { room: "den" });
      expect(userView(watcher, "den").size).toBe(expected.size + 1);
      await watcher.close();
    }
    await Promise.all([...clients, gone[0]!].map((c) => c.close()));
  });

  it("keeps names unique across nodes, through renames", async () => {
    await using nodes = await cluster();
    const [n1, n2, n3] = nodes;
    await using alice = await TestClient.join(n1, { name: "alice", room: "den" });
    const twin = await TestClient.connect(n2, { name: "ALICE" });
    expect(await twin.error(ErrorCode.NameTaken)).toBeDefined();
    expect((await twin.closed).code).toBe(CloseCode.NameTaken);
    await using bob = await TestClient.join(n2, { name: "bob", room: "den" });
    await using watcher = await TestClient.join(n3, { name: "watcher", room: "den" });
    bob.send({ type: "chat", text: "/nick alice", ref: "n1" });
    expect(await bob.error(ErrorCode.NameTaken)).toMatchObject({ ref: "n1", message: "the name alice is taken" });
    bob.send({ type: "chat", text: "/nick robert" });
    await watcher.next((f) => f.type === "presence" && f.joins.some((m) => m.id === bob.id && m.name === "robert"));
    await eventually(() => userView(alice, "den").get(bob.id) === "robert", 3000, "the rename on node 1");
    // The old name is free again, on any node.
    await using newBob = await TestClient.join(n3, { name: "bob" });
    expect(newBob.name).toBe("bob");
  });

  /** Starts a node with AUTH_SECRET on a fresh prefix, the same for every node `tag`'s function starts. */
  function securedNodes(tag: string): () => Promise<App> {
    const prefix = uniquePrefix(tag);
    return () => startServer(clusterConfig(redis, prefix, { authSecret: SECRET }));
  }
  const token = (sub: string, name: string) => mintToken(SECRET, sub, name, 60);

  it("lists a user with tabs on two nodes once, until the last tab closes", async () => {
    const start = securedNodes("tabs");
    await using n1 = await start();
    await using n2 = await start();
    await using n3 = await start();
    const tabby = await token("user-7", "tabby");
    const watcherToken = await token("user-8", "watcher");
    await using watcher = await TestClient.join(n3, { token: watcherToken, room: "den" });
    const tab1 = await TestClient.join(n1, { token: tabby, room: "den" });
    const tab2 = await TestClient.join(n2, { token: tabby, room: "den" });
    expect(tab1.id).toBe(tab2.id);
    await eventually(() => userView(watcher, "den").get(tab1.id) === "tabby", 3000, "tabby listed");
    await tab1.close();
    // Still there through the other tab: the name stays taken and nobody saw a leave.
    tab2.send({ type: "chat", text: "/who" });
    expect((await tab2.next("users")).users.map((u) => u.name).sort()).toEqual(["tabby", "watcher"]);
    expect(watcher.all("presence").some((p) => p.leaves.some((m) => m.id === tab1.id))).toBe(false);
    await tab2.close();
    await watcher.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === tab1.id));
  });

  it("delivers a direct message to a user on another node", async () => {
    await using nodes = await cluster();
    await using alice = await TestClient.join(nodes[0], { name: "alice" });
    await using carol = await TestClient.join(nodes[2], { name: "carol" });
    alice.send({ type: "direct", to: "Carol", text: "psst", ref: 9 });
    const echo = await alice.next("direct");
    const got = await carol.next("direct");
    expect(got).toMatchObject({ from: { id: alice.id, name: "alice" }, to: { id: carol.id, name: "carol" }, text: "psst" });
    expect(echo).toEqual({ ...got, ref: 9 });
    carol.send({ type: "chat", text: "/msg alice hi back" });
    expect(await alice.next("direct")).toMatchObject({ from: { name: "carol" }, text: "hi back" });
  });

  it("answers a direct message retried on another node with the original, delivered once, even after its recipient left", async () => {
    const start = securedNodes("dm-cid");
    await using n1 = await start();
    await using n2 = await start();
    const alice = await token("user-1", "alice");
    const carol = await TestClient.join(n2, { token: await token("user-3", "carol") });
    const lost = await TestClient.join(n1, { token: alice });
    const { ref: _, ...first } = (await lost.request({ type: "direct", to: "carol", text: "psst", cid: "d-1" })) as DirectMessageFrame;
    // The echo was lost with the connection: alice comes back on the other node and sends again.
    await lost.close();
    const resend = async (on: TestClient, cid = "d-1") => {
      const { ref: _, ...answer } = (await on.request({ type: "direct", to: "carol", text: "psst", cid })) as DirectMessageFrame;
      return answer;
    };
    await using back = await TestClient.join(n2, { token: alice });
    expect(await resend(back)).toEqual(first);
    await carol.sync();
    expect(carol.all("direct").map((d) => d.id)).toEqual([first.id]);
    // Carol has gone: the retry is still answered with what was sent, not `no_such_user`.
    await carol.close();
    await until(async () => (await n1.engine.names.lookup("carol")) === null, 3000, "carol's name to be free");
    await using third = await TestClient.join(n1, { token: alice });
    expect(await resend(third)).toEqual(first);
    expect(await resend(third, "d-2")).toMatchObject({ type: "error", code: ErrorCode.NoSuchUser });
  });

  it("serves history and `since` recovery from a different node than the one a client was on", async () => {
    await using nodes = await cluster();
    const [n1, n2, n3] = nodes;
    await using alice = await TestClient.join(n1, { name: "alice", room: "den" });
    await using reader = await TestClient.join(n2, { name: "reader", room: "den" });
    for (let i = 1; i <= 3; i++) await alice.chat(`m${i}`);
    await reader.count("message", 3);
    await reader.close();
    for (let i = 4; i <= 6; i++) await alice.chat(`m${i}`);
    // The reader comes back on another node with the last seq it saw.
    await using back = await TestClient.connect(n3, { name: "reader", room: "den", since: "3", epoch: reader.epoch });
    const replay = await back.next("history");
    expect(replay).toMatchObject({ recovered: true, epoch: reader.epoch });
    expect(replay.messages.map((m) => `${m.seq}:${(m as MessageFrame).text}`)).toEqual(["4:m4", "5:m5", "6:m6"]);
    back.send({ type: "history", room: "den", limit: 2 });
    expect((await back.next("history")).messages.map((m) => m.seq)).toEqual([5, 6]);
  });

  it("applies edits, deletes and reactions across nodes, in seq order, and serves their final state from any node", async () => {
    await using nodes = await cluster();
    await using alice = await TestClient.join(nodes[0], { name: "alice", room: "den" });
    await using bob = await TestClient.join(nodes[1], { name: "bob", room: "den" });
    const ack = await alice.chat("helo");
    expect(await bob.request({ type: "react", room: "den", id: ack.id, emoji: "👍", on: true })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "edit", room: "den", id: ack.id, text: "not mine" })).toMatchObject({ type: "error", code: ErrorCode.Forbidden });
    expect(await alice.request({ type: "edit", room: "den", id: ack.id, text: "hello" })).toMatchObject({ type: "ok" });
    expect(await bob.next("edited")).toMatchObject({ seq: 3, id: ack.id, text: "hello", by: { id: alice.id } });
    expect(await alice.next("reaction")).toMatchObject({ seq: 2, emoji: "👍", by: { id: bob.id }, on: true });
    await using carol = await TestClient.join(nodes[2], { name: "carol", room: "den" });
    expect(await carol.request({ type: "history", room: "den" })).toMatchObject({
      messages: [{ id: ack.id, text: "hello", edited: expect.any(Number), reactions: { "👍": [bob.id] } }],
    });
    expect(await alice.request({ type: "delete", room: "den", id: ack.id })).toMatchObject({ type: "ok" });
    expect(await carol.next("deleted")).toMatchObject({ seq: 4, id: ack.id });
    const after = await carol.request({ type: "history", room: "den", after: 0 });
    expect(after).toMatchObject({ messages: [{ id: ack.id, text: "", deleted: true }, { type: "reaction" }, { type: "edited", text: "" }, { type: "deleted" }] });
    expect(JSON.stringify(after)).not.toContain("hello");
    expect(await bob.request({ type: "react", room: "den", id: ack.id, emoji: "👍", on: false })).toMatchObject({ type: "error", code: ErrorCode.NotFound });
  });
});
