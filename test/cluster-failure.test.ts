// A cluster losing a node (SIGKILL: no cleanup at all) and losing Redis (restarted under
// load, with its data gone): the survivors keep serving and everything converges again.
import { expect, it } from "bun:test";
import { CloseCode } from "../src/shared/codes.ts";
import type { App } from "../src/server.ts";
import { TestClient, eventually, spawnServer, startServer, userView } from "./helpers.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix } from "./redis.ts";
import { startProxy } from "./tcp-proxy.ts";

/** Short, for a fast suite. The SIGKILL test uses twice this: its bound is checked in wall time. */
const TTL_MS = 1000;

/** Polls GET /readyz every 20 ms until it answers `status`. */
async function readyzBecomes(app: App, status: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await fetch(`${app.httpUrl}/readyz`)).status === status) return;
    if (Date.now() > deadline) throw new Error(`/readyz did not become ${status} within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

describeRedis("cluster failures", () => {
  it("stops at start-up with one clear line when Redis cannot be reached", async () => {
    await using gone = await startRedis();
    await gone.kill();
    const err = await spawnServer({ ENGINE: "redis", REDIS_URL: gone.url }).then(() => null, (e: Error) => e.message);
    // Exit code 1, and stderr is exactly one line (Bun words the reason in the parentheses).
    expect(err).toStartWith(`server exited 1: hubbub: cannot start: cannot reach Redis at ${gone.url} (`);
    expect(err).toEndWith("): is it running, and is REDIS_URL right?\n");
    expect(err?.trimEnd()).not.toContain("\n");
  });

  it("removes a SIGKILLed node's users from every other node within the TTL, and the rest keep serving", async () => {
    await using redis = await startRedis();
    const prefix = uniquePrefix("kill");
    const ttlMs = 2 * TTL_MS;
    const config = clusterConfig(redis, prefix, { nodeTtlMs: ttlMs });
    await using victim = await spawnServer({ ENGINE: "redis", REDIS_URL: redis.url, HUBBUB_PREFIX: prefix, NODE_TTL_MS: String(ttlMs), PRESENCE_INTERVAL_MS: "10" });
    await using s1 = await startServer(config);
    await using s2 = await startServer(config);
    const ghosts = await Promise.all(["ghost1", "ghost2"].map((name) => TestClient.join(victim.wsUrl, { name, room: "den" })));
    await using alice = await TestClient.join(s1, { name: "alice", room: "den" });
    await using bob = await TestClient.join(s2, { name: "bob", room: "den" });
    const ghostIds = ghosts.map((g) => g.id);
    for (const c of [alice, bob]) await eventually(() => ghostIds.every((id) => userView(c, "den").has(id)), 3000, "the ghosts in the user lists");

    const killedAt = Date.now();
    victim.proc.kill("SIGKILL");
    for (const c of [alice, bob]) await eventually(() => ghostIds.every((id) => !userView(c, "den").has(id)), 2 * ttlMs, "the ghosts to leave");
    expect(Date.now() - killedAt).toBeLessThan(ttlMs);

    // Their names are free again, and the survivors still talk to each other.
    await using reborn = await TestClient.join(s2, { name: "ghost1", room: "den" });
    expect(reborn.name).toBe("ghost1");
    const ack = await alice.chat("still here");
    expect(await bob.next((f) => f.type === "message" && f.text === "still here")).toMatchObject({ seq: ack.seq });
    const names = () => [...userView(bob, "den").values()].sort().join();
    await eventually(() => names() === "alice,bob,ghost1", 3000, "the new ghost1 in bob's list");
  }, 15_000);

  it("rides out a Redis restart under load: /readyz flips to 503 and back, state and order recover", async () => {
    await using redis = await startRedis();
    const config = clusterConfig(redis, uniquePrefix("restart"), { nodeTtlMs: TTL_MS, rateLimit: 1000 });
    await using n1 = await startServer(config);
    await using n2 = await startServer(config);
    await using alice = await TestClient.join(n1, { name: "alice", room: "den" });
    await using bob = await TestClient.join(n2, { name: "bob", room: "den" });
    const carol = await TestClient.join(n1, { name: "carol", room: "den" });
    await eventually(() => userView(alice, "den").size === 3, 3000, "every user listed");

    const load = setInterval(() => {
      alice.send({ type: "chat", text: "load a" });
      bob.send({ type: "chat", text: "load b" });
    }, 5);
    try {
      await alice.count("message", 20);
      await redis.kill();
      await Promise.all([readyzBecomes(n1, 503, 3000), readyzBecomes(n2, 503, 3000)]);
      // New clients are sent elsewhere meanwhile: nothing could admit them.
      expect((await fetch(`${n1.httpUrl}/ws`)).status).toBe(503);
      // A chat meanwhile is answered, not dropped in silence, and the connection stays open.
      alice.send({ type: "chat", text: "during the outage", ref: "outage-1" });
      expect(await alice.next((f) => f.type === "error" && f.ref === "outage-1")).toMatchObject({ code: "unavailable" });
      // Leaving while Redis is away still frees the name and the place in the list later.
      await carol.close();
      await redis.start();
      await Promise.all([readyzBecomes(n1, 200, 10_000), readyzBecomes(n2, 200, 10_000)]);
    } finally {
      clearInterval(load);
    }
    expect(Math.max(...alice.all("message").map((m) => m.seq))).toBeGreaterThan(1);

    // Redis came back empty: each node wrote its users and names back, and the room's numbering
    // restarted in a new epoch, announced to its members before its first message.
    const ack = await alice.chat("after the restart");
    for (const c of [alice, bob]) {
      expect(await c.next("epoch")).toMatchObject({ room: "den", seq: 0 });
      await c.next((f) => f.type === "message" && f.text === "after the restart");
      const restart = c.log.findIndex((f) => f.type === "epoch");
      const after = c.log.findIndex((f) => f.type === "message" && f.text === "after the restart");
      expect(restart).toBeLessThan(after);
    }
    expect(bob.log.find((f) => f.type === "message" && f.text === "after the restart")).toMatchObject({ seq: ack.seq });
    bob.send({ type: "chat", text: "/who" });
    const who = await bob.next("users");
    expect(who.users.map((u) => u.name).sort()).toEqual(["alice", "bob"]);
    const twin = await TestClient.connect(n2, { name: "alice" });
    expect((await twin.closed).code).toBe(CloseCode.NameTaken);
    await using carolAgain = await TestClient.join(n2, { name: "carol" });
    expect(carolAgain.name).toBe("carol");

    // Both clients stayed connected, and each saw one seq order without duplicates per epoch.
    for (const c of [alice, bob]) {
      const epochs: number[][] = [[]];
      for (const f of c.log) {
        if (f.type === "epoch") epochs.push([]);
        else if (f.type === "message") epochs.at(-1)!.push(f.seq);
      }
      expect(epochs).toHaveLength(2);
      for (const seqs of epochs) {
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
      }
    }
  }, 20_000);

  it("tells a client whose admission the engine could not finish, and closes it with 1013", async () => {
    await using redis = await startRedis();
    await using proxy = await startProxy(redis.port);
    await using node = await startServer({ ...clusterConfig(redis, uniquePrefix("admit")), redisUrl: `redis://127.0.0.1:${proxy.port}` });
    // Redis goes silent: the node still reports ready, so the upgrade passes, and the name
    // claim waits on a connection that then breaks.
    proxy.freeze();
    const client = await TestClient.connect(node, { name: "dora" });
    await Bun.sleep(50);
    proxy.cut();
    expect(await client.next("error")).toMatchObject({ code: "unavailable" });
    expect((await client.closed).code).toBe(CloseCode.TryAgainLater);
    // The node recovers and admits the same name.
    proxy.heal();
    await readyzBecomes(node, 200, 10_000);
    await using again = await TestClient.join(node, { name: "dora" });
    expect(again.name).toBe("dora");
  }, 20_000);
});
