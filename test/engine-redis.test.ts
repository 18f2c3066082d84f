// The Redis engine: the shared contract, then what only a cluster has: several engines on one
// Redis, malformed envelopes, a node cut off or gone silent, per-message Redis work.
import { describe, expect, it } from "bun:test";
import { redisKeys } from "../src/engine/redis-keys.ts";
import { RedisEngine, UNSUBSCRIBE_LINGER_MS } from "../src/engine/redis.ts";
import { silentLogger, type Logger } from "../src/log.ts";
import { IDEMPOTENCY_WINDOW_MS, type ControlMessage } from "../src/engine/engine.ts";
import type { DirectMessageFrame, Member } from "../src/shared/protocol.ts";
import { encode } from "../src/shared/protocol.ts";
import { RecordingSink, draft, engineContract } from "./engine-contract.ts";
import { eventually, memoryLogger, until } from "./support.ts";
import { describeRedis, redisPerFile, startRedis, uniquePrefix } from "./redis.ts";
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

/** The names in a room, cluster-wide, sorted. */
async function names(n: Node, room: string): Promise<string[]> {
  return (await n.engine.presence.page(room, undefined, 1000)).users.map((u) => u.name).sort();
}

describeRedis("RedisEngine", () => {
  const shared = redisPerFile();

  engineContract("redis", ({ historySize }) => new RedisEngine({ url: shared.redis.url, prefix: uniquePrefix("contract"), historySize, nodeTtlMs: TTL_MS, log: silentLogger }));

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
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      await a.engine.presence.join("race", member("alice"));
      await b.engine.presence.join("race", member("bob"));
      const n = 40;
      await Promise.all(
        Array.from({ length: n }, (_, i) => [a.engine.broker.publish("race", draft(member("alice"), `a${i}`)), b.engine.broker.publish("race", draft(member("bob"), `b${i}`))]).flat(),
      );
      await eventually(() => a.sink.messages("race").length >= 2 * n && b.sink.messages("race").length >= 2 * n, 3000, "every message on both nodes");
      const seen = (s: RecordingSink) => s.messages("race").map((m) => `${m.seq}:${m.text}`);
      expect(seen(a.sink)).toEqual(seen(b.sink));
      expect(a.sink.messages("race").map((m) => m.seq)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    });

    it("shares members, names and user frames between nodes", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      const alice = member("alice");
      const bob = member("bob");
      expect(await a.engine.names.claim("alice", alice)).toBe(true);
      expect(await b.engine.names.claim("alice", bob)).toBe(false);
      expect(await b.engine.names.lookup("alice")).toEqual(alice);
      await b.engine.presence.join("den", bob);
      await a.engine.presence.join("den", alice);
      await b.sink.presenceWhere((p) => p.room === "den" && p.joins.some((m) => m.id === alice.id), "alice's join on node b");
      for (const n of [a, b]) expect(await names(n, "den")).toEqual(["alice", "bob"]);
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: bob, to: alice, text: "psst" };
      await b.engine.broker.direct({ to: alice.id, frame, from: bob.id, mine: frame, exceptConn: "conn-3" });
      // Every node gets both copies, the sender's node too: each delivers to its own connections
      // of the user, but the one excepted.
      for (const n of [a, b]) await eventually(() => n.sink.users.length === 2, 3000, "the user frames on every node");
      for (const n of [a, b]) expect(n.sink.toUser(alice.id)).toEqual([{ userId: alice.id, data: encode(frame) }]);
      for (const n of [a, b]) expect(n.sink.toUser(bob.id)).toEqual([{ userId: bob.id, data: encode(frame), except: "conn-3" }]);
      await a.engine.close();
      await b.sink.presenceWhere((p) => p.leaves.some((m) => m.id === alice.id), "alice's leave when node a shuts down");
      expect(await b.engine.names.lookup("alice")).toBeNull();
      expect((await b.engine.presence.page("den", undefined, 10)).users).toEqual([bob]);
    });

    it("answers a retried send with the original on any node, publishing it once", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      const alice = member("alice");
      await a.engine.presence.join("den", alice);
      await b.engine.presence.join("den", member("bob"));
      const key = { userId: "sub|with:odd\nchars", cid: "c-42" };
      const first = await a.engine.broker.publish("den", draft(alice, "once"), key);
      // The client lost the ack, reconnected to node b and sent again.
      const retries = await Promise.all([b.engine.broker.publish("den", draft(alice, "once"), key), a.engine.broker.publish("den", draft(alice, "once"), key)]);
      expect(retries).toEqual([{ message: first.message, duplicate: true }, { message: first.message, duplicate: true }]);
      const last = await b.engine.broker.publish("den", draft(alice, "next"));
      for (const n of [a, b]) await eventually(() => n.sink.messages("den").length === 2, 3000, "both messages on every node");
      for (const n of [a, b]) expect(n.sink.messages("den").map((m) => m.seq)).toEqual([1, last.message.seq]);
      expect(last.message.seq).toBe(2);
      // Remembered for the idempotency window, under a key the user id cannot confuse.
      const ttl = Number(await shared.raw.send("PTTL", [k.sendKey(key.userId, key.cid)]));
      expect(ttl).toBeGreaterThan(IDEMPOTENCY_WINDOW_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(IDEMPOTENCY_WINDOW_MS);
    });

    it("answers a retried direct message with the sender's first copy on any node, sending it once", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      const [alice, bob] = [member("alice"), member("bob")];
      const key = { userId: alice.id, cid: "dm-9" };
      const send = (n: typeof a, id: string) => {
        const frame: DirectMessageFrame = { type: "direct", id, ts: 1, from: alice, to: bob, text: "once" };
        return n.engine.broker.direct({ to: bob.id, frame, from: alice.id, mine: { ...frame, cid: key.cid }, key });
      };
      expect(await send(a, "first")).toBeNull();
      // The sender lost its echo, reconnected to node b and sent again; and again on a, at once.
      const retries = await Promise.all([send(b, "again-b"), send(a, "again-a")]);
      expect(retries.map((f) => f?.id)).toEqual(["first", "first"]);
      expect(await b.engine.broker.sentDirect(key)).toMatchObject({ id: "first", cid: key.cid });
      const later: DirectMessageFrame = { type: "direct", id: "later", ts: 2, from: alice, to: bob, text: "next" };
      await b.engine.broker.direct({ to: bob.id, frame: later, from: alice.id, mine: later });
      for (const n of [a, b]) await eventually(() => n.sink.toUser(bob.id).length === 2, 3000, "both messages on every node");
      for (const n of [a, b]) expect(n.sink.toUser(bob.id).map((u) => JSON.parse(u.data).id)).toEqual(["first", "later"]);
      const ttl = Number(await shared.raw.send("PTTL", [k.directKey(key.userId, key.cid)]));
      expect(ttl).toBeGreaterThan(IDEMPOTENCY_WINDOW_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(IDEMPOTENCY_WINDOW_MS);
      // What the key keeps is checked on reading, as every envelope is.
      await shared.raw.send("SET", [k.directKey(key.userId, "bad"), "{not json"]);
      await expect(b.engine.broker.sentDirect({ userId: key.userId, cid: "bad" })).rejects.toThrow(/unreadable in Redis/);
    });

    it("hands a control message to every node, the sender included", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      const msg: ControlMessage = { type: "renamed", userId: "u-1", name: "alicia" };
      await a.engine.broker.control(msg);
      expect(a.sink.controls).toEqual([msg]);
      await eventually(() => b.sink.controls.length > 0, 3000, "the control message on node b");
      expect(b.sink.controls).toEqual([msg]);
    });

    it("hands a signal to every node with members in the room, and stores nothing", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      await using elsewhere = await startNode(shared.redis.url, prefix);
      await a.engine.presence.join("den", member("alice"));
      await b.engine.presence.join("den", member("bob"));
      await elsewhere.engine.presence.join("hall", member("carol"));
      const data = encode({ type: "notice", room: "den", text: "bob is typing" });
      await b.engine.broker.signal("den", data);
      for (const n of [a, b]) await eventually(() => n.sink.frames("den").length === 1, 3000, "the signal on every node in the room");
      expect(a.sink.rooms).toEqual([{ room: "den", data }]);
      expect(elsewhere.sink.rooms).toEqual([]);
      expect(await a.engine.history.position("den")).toMatchObject({ seq: 0 });
    });

    it("gives a room a new epoch when Redis loses its data, and delivers the new numbering on every node", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      await a.engine.presence.join("den", member("alice"));
      await b.engine.presence.join("den", member("bob"));
      for (const text of ["one", "two", "three"]) await a.engine.broker.publish("den", draft(member("alice"), text));
      const before = await b.engine.history.position("den");
      expect(before.seq).toBe(3);
      await shared.raw.send("FLUSHALL", []);
      const after = await a.engine.history.position("den");
      expect(after.seq).toBe(0);
      expect(after.epoch).not.toBe(before.epoch);
      // A node that last delivered seq 3 takes seq 1 of the new epoch, whichever node sent it.
      const { message } = await b.engine.broker.publish("den", draft(member("bob"), "again"));
      expect(message.seq).toBe(1);
      for (const n of [a, b]) await eventually(() => n.sink.messages("den").length === 4, 3000, "the new epoch's first message on every node");
      for (const n of [a, b]) expect(n.sink.messages("den").map((m) => `${m.seq}:${m.text}`)).toEqual(["1:one", "2:two", "3:three", "1:again"]);
      // Each node told its members of the restart before the new epoch's first message.
      for (const n of [a, b]) expect(n.sink.frames("den").map((f) => f.type)).toEqual(["message", "message", "message", "epoch", "message"]);
      for (const n of [a, b]) expect(n.sink.frames("den")[3]).toEqual({ type: "epoch", room: "den", epoch: after.epoch, seq: 0 } as never);
      expect(await b.engine.history.page("den", { limit: 10 })).toEqual({ seq: 1, epoch: after.epoch, messages: [message], more: false });
      // The heartbeat finds the nodes unregistered and writes their members back.
      await until(async () => (await names(a, "den")).length === 2, 3 * TTL_MS, "the members written back");
      expect(await names(b, "den")).toEqual(["alice", "bob"]);
    });

    it("recovers from a Redis restart that lost everything: new epoch, members back, the new numbering delivered", async () => {
      await using own = await startRedis();
      const prefix = uniquePrefix();
      await using a = await startNode(own.url, prefix);
      await using b = await startNode(own.url, prefix);
      await a.engine.presence.join("den", member("alice"));
      await b.engine.presence.join("den", member("bob"));
      await a.engine.broker.publish("den", draft(member("alice"), "one"));
      await a.engine.broker.publish("den", draft(member("alice"), "two"));
      const before = await a.engine.history.position("den");
      await own.restart();
      for (const n of [a, b]) await eventually(() => !n.engine.ready, 5000, "the nodes to notice");
      for (const n of [a, b]) await eventually(() => n.engine.ready, 10_000, "the nodes to recover");
      const after = await b.engine.history.position("den");
      expect(after.epoch).not.toBe(before.epoch);
      expect(after.seq).toBe(0);
      const { message } = await b.engine.broker.publish("den", draft(member("bob"), "again"));
      expect(message.seq).toBe(1);
      for (const n of [a, b]) await eventually(() => n.sink.messages("den").length === 3, 3000, "the new numbering on every node");
      for (const n of [a, b]) expect(n.sink.messages("den").map((m) => `${m.seq}:${m.text}`)).toEqual(["1:one", "2:two", "1:again"]);
      expect(await names(a, "den")).toEqual(["alice", "bob"]);
    }, 20_000);

    it("starts a new epoch when a room's seq is lost without its epoch, and keeps a made-up room's epoch only for a while", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      await using a = await startNode(shared.redis.url, prefix);
      const { epoch: quiet } = await a.engine.history.position("quiet");
      expect(Number(await shared.raw.send("PTTL", [k.roomEpoch("quiet")]))).toBeGreaterThan(0);
      await a.engine.presence.join("den", member("alice"));
      const { epoch } = await a.engine.history.position("den");
      await a.engine.broker.publish("den", draft(member("alice"), "one"));
      expect(await a.engine.history.position("den")).toEqual({ seq: 1, epoch });
      expect(Number(await shared.raw.send("PTTL", [k.roomEpoch("den")]))).toBe(-1);
      await a.engine.broker.publish("den", draft(member("alice"), "two"));
      await shared.raw.send("DEL", [k.roomSeq("den")]);
      const { message } = await a.engine.broker.publish("den", draft(member("alice"), "three"));
      expect(message.seq).toBe(1);
      const now = await a.engine.history.page("den", { limit: 10 });
      expect(now.epoch).not.toBe(epoch);
      expect(now.messages).toEqual([message]);
      await eventually(() => a.sink.messages("den").length === 3, 3000, "the third message");
      expect(a.sink.messages("den").map((m) => m.seq)).toEqual([1, 2, 1]);
      expect((await a.engine.history.position("quiet")).epoch).toBe(quiet);
    });

    it("keeps a user connected on two nodes listed, and its name held, until its last node lets go", async () => {
      const prefix = uniquePrefix();
      await using a = await startNode(shared.redis.url, prefix);
      await using b = await startNode(shared.redis.url, prefix);
      await using watcher = await startNode(shared.redis.url, prefix);
      const user = member("tabby");
      await watcher.engine.presence.join("den", member("watcher"));
      for (const n of [a, b]) {
        expect(await n.engine.names.claim("tabby", user)).toBe(true);
        await n.engine.presence.join("den", user);
      }
      await a.engine.presence.leave("den", user);
      await a.engine.names.release("tabby", user.id);
      expect(await names(watcher, "den")).toEqual(["tabby", "watcher"]);
      expect(await watcher.engine.names.lookup("tabby")).toEqual(user);
      // Node b dies (closes): now the user is gone everywhere, and the name is free.
      await b.engine.close();
      await watcher.sink.presenceWhere((p) => p.leaves.some((m) => m.id === user.id), "the user's leave");
      expect(await watcher.engine.names.lookup("tabby")).toBeNull();
      expect(watcher.sink.presences.flatMap((p) => p.leaves).filter((m) => m.id === user.id)).toHaveLength(1);
    });

    it("costs one Redis command per message whatever the number of members, and listens only to rooms it has members in", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      await using a = await startNode(shared.redis.url, prefix);
      await a.engine.presence.join("small", member("m0"));
      for (let i = 0; i < 20; i++) await a.engine.presence.join("big", member(`m${i}`));
      for (const room of ["small", "big"]) {
        const before = a.engine.commandsSent;
        await a.engine.broker.publish(room, draft(member("m0"), "x"));
        expect(a.engine.commandsSent - before).toBe(1);
      }
      // With a SendKey too, and for its retry.
      for (let i = 0; i < 2; i++) {
        const before = a.engine.commandsSent;
        await a.engine.broker.publish("big", draft(member("m0"), "keyed"), { userId: "m0-id", cid: "k" });
        expect(a.engine.commandsSent - before).toBe(1);
      }
      const subscribers = async (room: string) => ((await shared.raw.send("PUBSUB", ["NUMSUB", k.roomChannel(room)])) as [string, number])[1];
      expect(await subscribers("big")).toBe(1);
      for (let i = 0; i < 20; i++) await a.engine.presence.leave("big", member(`m${i}`));
      await until(async () => (await subscribers("big")) === 0, UNSUBSCRIBE_LINGER_MS + 2000, "the node to leave the empty room's channel");
      expect(await subscribers("small")).toBe(1);
    });

    it("logs and drops malformed envelopes, and keeps serving", async () => {
      const prefix = uniquePrefix();
      const k = redisKeys(prefix);
      const log = memoryLogger();
      await using a = await startNode(shared.redis.url, prefix, log);
      await a.engine.presence.join("den", member("alice"));
      const bad = [
        [k.roomChannel("den"), "not json"],
        [k.roomChannel("den"), '{"v":2,"node":"x","type":"message","room":"den"}'],
        // A message of the version before epochs.
        [k.roomChannel("den"), '{"v":1,"node":"x","type":"message","room":"den","draft":{"id":"i","ts":1,"from":{"id":"a","name":"a"},"kind":"text","text":"t"},"seq":1}'],
        [k.roomChannel("den"), '{"v":1,"node":"x","type":"presence","room":"den","joins":[],"leaves":[]}'],
        [k.roomChannel("den"), '{"v":2,"node":"x","type":"launch","room":"den"}'],
        [k.roomChannel("den"), '{"v":2,"node":"x","type":"signal","room":"den"}'],
        [k.directChannel, '{"v":2,"node":"x","type":"direct","to":"y","frame":{"type":"direct"}}'],
        [k.controlChannel, '{"v":2,"node":"x","type":"control","n":1,"msg":{"type":"reboot"}}'],
      ];
      for (const [channel, message] of bad) await shared.raw.send("PUBLISH", [channel!, message!]);
      // Well-formed, but for another room on this room's channel, or a control message off its channel.
      await shared.raw.send("PUBLISH", [k.roomChannel("den"), '{"v":2,"node":"x","type":"presence","room":"elsewhere","joins":[],"leaves":[]}']);
      await shared.raw.send("PUBLISH", [k.directChannel, '{"v":2,"node":"x","type":"control","n":1,"msg":{"type":"renamed","userId":"u","name":"n"}}']);
      const { message } = await a.engine.broker.publish("den", draft(member("alice"), "still fine"));
      expect(a.sink.messages("den")).toEqual([message]);
      expect(a.sink.presences.filter((p) => p.room !== "den")).toEqual([]);
      expect(log.lines.filter((l) => l.msg === "dropped malformed envelope")).toHaveLength(bad.length);
      expect(log.lines.filter((l) => l.msg === "dropped envelope on the wrong channel")).toHaveLength(2);
      expect(a.sink.controls).toEqual([]);
    });

    it("reaps a node cut off from Redis within the TTL, and the node re-asserts its users when it is back", async () => {
      const prefix = uniquePrefix();
      await using proxy = await startProxy(shared.redis.port);
      // A longer TTL than elsewhere: the bound is checked in wall time, so give it headroom.
      const ttlMs = 2 * TTL_MS;
      await using cut = await startNode(`redis://127.0.0.1:${proxy.port}`, prefix, silentLogger, ttlMs);
      await using other = await startNode(shared.redis.url, prefix, silentLogger, ttlMs);
      const ghost = member("ghost");
      await cut.engine.names.claim("ghost", ghost);
      await cut.engine.presence.join("den", ghost);
      await other.engine.presence.join("den", member("watcher"));
      const started = Date.now();
      proxy.cut();
      await eventually(() => !cut.engine.ready, 3000, "the cut node to notice");
      await eventually(() => other.sink.presences.some((p) => p.leaves.some((m) => m.id === ghost.id)), 2 * ttlMs, "the cut node's user to leave");
      expect(Date.now() - started).toBeLessThan(ttlMs);
      expect(await other.engine.names.lookup("ghost")).toBeNull();
      expect(other.engine.ready).toBe(true);

      const afterLeave = other.sink.presences.length;
      proxy.heal();
      await eventually(() => other.sink.presences.slice(afterLeave).some((p) => p.joins.some((m) => m.id === ghost.id)), 5000, "the user back once the node is back");
      await eventually(() => cut.engine.ready, 3000, "the node to report ready again");
      expect(await other.engine.names.lookup("ghost")).toEqual(ghost);
      expect(await names(other, "den")).toEqual(["ghost", "watcher"]);
    }, 20_000); // its waits add up past bun's 5 s default: 2 × TTL to reap, then up to 5 s to return

    it("notices when its connections go silent, reconnects and delivers what it missed, in order", async () => {
      const prefix = uniquePrefix();
      await using proxy = await startProxy(shared.redis.port);
      await using quiet = await startNode(`redis://127.0.0.1:${proxy.port}`, prefix);
      await using other = await startNode(shared.redis.url, prefix);
      await quiet.engine.presence.join("den", member("alice"));
      await other.engine.presence.join("den", member("bob"));
      await other.engine.broker.publish("den", draft(member("bob"), "before"));
      await eventually(() => quiet.sink.messages("den").length === 1, 3000, "the first message");
      proxy.freeze();
      for (const text of ["during-1", "during-2", "during-3"]) await other.engine.broker.publish("den", draft(member("bob"), text));
      await eventually(() => !quiet.engine.ready, 5000, "the silent node to notice");
      proxy.heal();
      await eventually(() => quiet.engine.ready, 10_000, "the node to recover");
      await other.engine.broker.publish("den", draft(member("bob"), "after"));
      await eventually(() => quiet.sink.messages("den").length >= 5, 3000, "the missed messages");
      expect(quiet.sink.messages("den").map((m) => `${m.seq}:${m.text}`)).toEqual(["1:before", "2:during-1", "3:during-2", "4:during-3", "5:after"]);
    }, 20_000);
  });
});
