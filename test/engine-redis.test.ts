// The Redis engine: the shared contract, then what only a cluster has: several engines on one
// Redis, malformed envelopes, a node cut off or gone silent, per-message Redis work.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { RedisClient } from "bun";
import { redisKeys } from "../src/engine/redis-keys.ts";
import { RedisEngine, UNSUBSCRIBE_LINGER_MS } from "../src/engine/redis.ts";
import { silentLogger, type Logger } from "../src/log.ts";
import type { DirectMessageFrame, Member } from "../src/shared/protocol.ts";
import { RecordingSink, draft, engineContract, userTopic } from "./engine-contract.ts";
import { eventually, memoryLogger } from "./helpers.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";
import { startProxy } from "./tcp-proxy.ts";

const TTL_MS = 1000;

interface Node extends AsyncDisposable {
  engine: RedisEngine;
  sink: RecordingSink;
}

async function startNode(url: string, prefix: string, log: Logger = silentLogger, nodeTtlMs = TTL_MS): Promise<Node> {
  const engine = new RedisEngine({ url, prefix, historySize: 100, nodeTtlMs, log });
  const sink = new RecordingSink();
  await engine.start(sink);
  return { engine, sink, [Symbol.asyncDispose]: () => engine.close() };
}

const member = (name: string): Member => ({ id: `${name}-id`, name });

/** Polls an async condition (state held in Redis) every 20 ms until it holds. */
async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describeRedis("RedisEngine", () => {
  let redis: RedisServer;
  /** A plain client for looking at (and tampering with) what the engines keep in Redis. */
  let raw: RedisClient;
  beforeAll(async () => {
    redis = await startRedis();
    raw = new RedisClient(redis.url);
    await raw.connect();
  });
  afterAll(async () => {
    raw.close();
    await redis.stop();
  });

  engineContract("redis", ({ historySize }) => new RedisEngine({ url: redis.url, prefix: uniquePrefix("contract"), historySize, nodeTtlMs: TTL_MS, log: silentLogger }));

  describe("as a cluster", () => {
    it("refuses to start, with one clear line, when Redis cannot be reached", async () => {
      await using gone = await startRedis();
      await gone.kill();
      const engine = new RedisEngine({ url: gone.url, prefix: uniquePrefix(), historySize: 10, nodeTtlMs: TTL_MS, log: silentLogger });
      const err = await engine.start(new RecordingSink()).then(() => null, (e: Error) => e);
      expect(err?.message).toStartWith(`cannot reach Redis at ${gone.url} (`);
      expect(err?.message).not.toContain("\n");
      expect(engine.ready).toBe(false);
    });

    it("delivers two nodes' concurrent publishes to one room in the same seq order on both", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(redis.url, prefix);
      await using b = await startNode(redis.url, prefix);
      await a.engine.join("race", member("alice"));
      await b.engine.join("race", member("bob"));
      const n = 40;
      await Promise.all(
        Array.from({ length: n }, (_, i) => [a.engine.publish("race", draft(member("alice"), `a${i}`)), b.engine.publish("race", draft(member("bob"), `b${i}`))]).flat(),
      );
      await eventually(() => a.sink.messages("race").length >= 2 * n && b.sink.messages("race").length >= 2 * n, 3000, "every message on both nodes");
      const seen = (s: RecordingSink) => s.messages("race").map((m) => `${m.seq}:${m.text}`);
      expect(seen(a.sink)).toEqual(seen(b.sink));
      expect(a.sink.messages("race").map((m) => m.seq)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    });

    it("shares members, names and direct messages between nodes", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(redis.url, prefix);
      await using b = await startNode(redis.url, prefix);
      const alice = member("alice");
      const bob = member("bob");
      expect(await a.engine.claimName("alice", alice)).toBe(true);
      expect(await b.engine.claimName("alice", bob)).toBe(false);
      expect(await b.engine.lookupName("alice")).toEqual(alice);
      await b.engine.join("den", bob);
      await a.engine.join("den", alice);
      await b.sink.presenceWhere((p) => p.room === "den" && p.joins.some((m) => m.id === alice.id), "alice's join on node b");
      for (const n of [a, b]) expect((await n.engine.snapshot("den")).users.map((u) => u.name).sort()).toEqual(["alice", "bob"]);
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: bob, to: alice, text: "psst" };
      await b.engine.sendDirect(alice.id, frame);
      await eventually(() => a.sink.published.some((p) => p.topic === userTopic(alice.id)), 3000, "the direct message on node a");
      await a.engine.close();
      await b.sink.presenceWhere((p) => p.leaves.some((m) => m.id === alice.id), "alice's leave when node a shuts down");
      expect(await b.engine.lookupName("alice")).toBeNull();
      expect((await b.engine.snapshot("den")).users).toEqual([bob]);
    });

    it("keeps a user connected on two nodes listed, and its name held, until its last node lets go", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(redis.url, prefix);
      await using b = await startNode(redis.url, prefix);
      await using watcher = await startNode(redis.url, prefix);
      const user = member("tabby");
      await watcher.engine.join("den", member("watcher"));
      for (const n of [a, b]) {
        expect(await n.engine.claimName("tabby", user)).toBe(true);
        await n.engine.join("den", user);
      }
      await a.engine.leave("den", user);
      await a.engine.releaseName("tabby", user.id);
      expect((await watcher.engine.snapshot("den")).users.map((u) => u.name).sort()).toEqual(["tabby", "watcher"]);
      expect(await watcher.engine.lookupName("tabby")).toEqual(user);
      // Node b dies (closes): now the user is gone everywhere, and the name is free.
      await b.engine.close();
      await watcher.sink.presenceWhere((p) => p.leaves.some((m) => m.id === user.id), "the user's leave");
      expect(await watcher.engine.lookupName("tabby")).toBeNull();
      expect(watcher.sink.presences.flatMap((p) => p.leaves).filter((m) => m.id === user.id)).toHaveLength(1);
    });

    it("costs one Redis command per message whatever the number of members, and listens only to rooms it has members in", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      await using a = await startNode(redis.url, prefix);
      await a.engine.join("small", member("m0"));
      for (let i = 0; i < 20; i++) await a.engine.join("big", member(`m${i}`));
      for (const room of ["small", "big"]) {
        const before = a.engine.commandsSent;
        await a.engine.publish(room, draft(member("m0"), "x"));
        expect(a.engine.commandsSent - before).toBe(1);
      }
      const subscribers = async (room: string) => ((await raw.send("PUBSUB", ["NUMSUB", k.roomChannel(room)])) as [string, number])[1];
      expect(await subscribers("big")).toBe(1);
      for (let i = 0; i < 20; i++) await a.engine.leave("big", member(`m${i}`));
      await until(async () => (await subscribers("big")) === 0, UNSUBSCRIBE_LINGER_MS + 2000, "the node to leave the empty room's channel");
      expect(await subscribers("small")).toBe(1);
    });

    it("logs and drops malformed envelopes, and keeps serving", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      const log = memoryLogger();
      await using a = await startNode(redis.url, prefix, log);
      await a.engine.join("den", member("alice"));
      const bad = [
        [k.roomChannel("den"), "not json"],
        [k.roomChannel("den"), '{"v":1,"node":"x","type":"message","room":"den"}'],
        [k.roomChannel("den"), '{"v":2,"node":"x","type":"presence","room":"den","joins":[],"leaves":[]}'],
        [k.roomChannel("den"), '{"v":1,"node":"x","type":"launch","room":"den"}'],
        [k.directChannel, '{"v":1,"node":"x","type":"direct","to":"y","frame":{"type":"direct"}}'],
      ];
      for (const [channel, message] of bad) await raw.send("PUBLISH", [channel!, message!]);
      // Well-formed, but a presence for another room on this room's channel.
      await raw.send("PUBLISH", [k.roomChannel("den"), '{"v":1,"node":"x","type":"presence","room":"elsewhere","joins":[],"leaves":[]}']);
      const msg = await a.engine.publish("den", draft(member("alice"), "still fine"));
      expect(a.sink.messages("den")).toEqual([msg]);
      expect(a.sink.presences.filter((p) => p.room !== "den")).toEqual([]);
      expect(log.lines.filter((l) => l.msg === "dropped malformed envelope")).toHaveLength(bad.length);
      expect(log.lines.filter((l) => l.msg === "dropped envelope on the wrong channel")).toHaveLength(1);
    });

    it("reaps a node cut off from Redis within the TTL, and the node re-asserts its users when it is back", async () => {
      const prefix = uniquePrefix();
      await using proxy = await startProxy(redis.port);
      // A longer TTL than elsewhere: the bound is checked in wall time, so give it headroom.
      const ttlMs = 2 * TTL_MS;
      await using cut = await startNode(`redis://127.0.0.1:${proxy.port}`, prefix, silentLogger, ttlMs);
      await using other = await startNode(redis.url, prefix, silentLogger, ttlMs);
      const ghost = member("ghost");
      await cut.engine.claimName("ghost", ghost);
      await cut.engine.join("den", ghost);
      await other.engine.join("den", member("watcher"));
      const started = Date.now();
      proxy.cut();
      await eventually(() => !cut.engine.ready, 3000, "the cut node to notice");
      await eventually(() => other.sink.presences.some((p) => p.leaves.some((m) => m.id === ghost.id)), 2 * ttlMs, "the cut node's user to leave");
      expect(Date.now() - started).toBeLessThan(ttlMs);
      expect(await other.engine.lookupName("ghost")).toBeNull();
      expect(other.engine.ready).toBe(true);

      const afterLeave = other.sink.presences.length;
      proxy.heal();
      await eventually(() => other.sink.presences.slice(afterLeave).some((p) => p.joins.some((m) => m.id === ghost.id)), 5000, "the user back once the node is back");
      await eventually(() => cut.engine.ready, 3000, "the node to report ready again");
      expect(await other.engine.lookupName("ghost")).toEqual(ghost);
      expect((await other.engine.snapshot("den")).users.map((u) => u.name).sort()).toEqual(["ghost", "watcher"]);
    }, 20_000); // its waits add up past bun's 5 s default: 2 × TTL to reap, then up to 5 s to return

    it("notices when its connections go silent, reconnects and delivers what it missed, in order", async () => {
      const prefix = uniquePrefix();
      await using proxy = await startProxy(redis.port);
      await using quiet = await startNode(`redis://127.0.0.1:${proxy.port}`, prefix);
      await using other = await startNode(redis.url, prefix);
      await quiet.engine.join("den", member("alice"));
      await other.engine.join("den", member("bob"));
      await other.engine.publish("den", draft(member("bob"), "before"));
      await eventually(() => quiet.sink.messages("den").length === 1, 3000, "the first message");
      proxy.freeze();
      for (const text of ["during-1", "during-2", "during-3"]) await other.engine.publish("den", draft(member("bob"), text));
      await eventually(() => !quiet.engine.ready, 5000, "the silent node to notice");
      proxy.heal();
      await eventually(() => quiet.engine.ready, 10_000, "the node to recover");
      await other.engine.publish("den", draft(member("bob"), "after"));
      await eventually(() => quiet.sink.messages("den").length >= 5, 3000, "the missed messages");
      expect(quiet.sink.messages("den").map((m) => `${m.seq}:${m.text}`)).toEqual(["1:before", "2:during-1", "3:during-2", "4:during-3", "5:after"]);
    }, 20_000);
  });
});
