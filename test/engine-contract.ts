// The Engine contract (src/engine/engine.ts), as one suite every engine runs:
// engine-memory.test.ts and engine-redis.test.ts. Each test gets a fresh engine with empty
// state and a sink that records what the engine hands to "this node's sockets".
import { describe, expect, it } from "bun:test";
import type { Engine, EngineSink, MessageDraft } from "../src/engine/engine.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../src/shared/protocol.ts";
import { roomTopic } from "../src/topics.ts";
import { eventually } from "./helpers.ts";

export type EngineFactory = (opts: { historySize: number }) => Engine | Promise<Engine>;

interface Presence {
  room: string;
  joins: Member[];
  leaves: Member[];
}

/** How RecordingSink labels what was handed to one user's connections (rooms get their Bun topic). */
export const userTopic = (id: string): string => `u:${id}`;

/** Records everything an engine delivers to this node, rooms and users alike, in order. */
export class RecordingSink implements EngineSink {
  readonly published: { topic: string; data: string }[] = [];
  readonly presences: Presence[] = [];

  publishRoom(room: string, data: string): void {
    this.published.push({ topic: roomTopic(room), data });
  }

  sendToUser(userId: string, data: string): void {
    this.published.push({ topic: userTopic(userId), data });
  }

  presence(room: string, joins: Member[], leaves: Member[]): void {
    this.presences.push({ room, joins, leaves });
  }

  /** Messages delivered to `room`'s local topic, in delivery order. */
  messages(room: string): MessageFrame[] {
    return this.published.filter((p) => p.topic === roomTopic(room)).map((p) => JSON.parse(p.data) as MessageFrame);
  }

  /** Resolves once a presence change matching `pred` was reported. */
  presenceWhere(pred: (p: Presence) => boolean, what: string): Promise<void> {
    return eventually(() => this.presences.some(pred), 3000, what);
  }
}

interface Started extends AsyncDisposable {
  engine: Engine;
  sink: RecordingSink;
}

async function start(create: EngineFactory, historySize = 100): Promise<Started> {
  const engine = await create({ historySize });
  const sink = new RecordingSink();
  await engine.start(sink);
  return { engine, sink, [Symbol.asyncDispose]: () => engine.close() };
}

let counter = 0;
export function draft(from: Member, text: string): MessageDraft {
  return { id: `test-${++counter}`, ts: Date.now(), from, kind: "text", text };
}

const alice: Member = { id: "a11ce0000001", name: "alice" };
const bob: Member = { id: "b0b000000002", name: "bob" };

export function engineContract(name: string, create: EngineFactory): void {
  describe(`Engine contract: ${name}`, () => {
    it("gives each room its own gapless seq from 1 and returns the full frame", async () => {
      await using n = await start(create);
      await n.engine.join("one", alice);
      await n.engine.join("two", alice);
      const d = draft(alice, "hello");
      const first = await n.engine.publish("one", d);
      expect(first).toEqual({ type: "message", room: "one", seq: 1, id: d.id, ts: d.ts, from: alice, kind: "text", text: "hello" });
      expect((await n.engine.publish("one", draft(alice, "again"))).seq).toBe(2);
      expect((await n.engine.publish("two", draft(alice, "elsewhere"))).seq).toBe(1);
    });

    it("has delivered a message to the room's local topic by the time publish resolves", async () => {
      await using n = await start(create);
      await n.engine.join("den", alice);
      const msg = await n.engine.publish("den", draft(alice, "mine"));
      expect(n.sink.messages("den")).toEqual([msg]);
    });

    it("keeps concurrent publishes gapless and delivers them once each, in seq order", async () => {
      await using n = await start(create);
      await n.engine.join("race", alice);
      const sent = await Promise.all(Array.from({ length: 50 }, (_, i) => n.engine.publish("race", draft(alice, `m${i}`))));
      expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(n.sink.messages("race").map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it("keeps the last HISTORY_SIZE messages and answers since and limit in seq order", async () => {
      await using n = await start(create, 5);
      await n.engine.join("h", alice);
      for (let i = 1; i <= 8; i++) await n.engine.publish("h", draft(alice, `m${i}`));
      const seqs = (ms: MessageFrame[]) => ms.map((m) => m.seq);
      expect(seqs(await n.engine.history("h"))).toEqual([4, 5, 6, 7, 8]);
      expect(seqs(await n.engine.history("h", 6))).toEqual([7, 8]);
      expect(seqs(await n.engine.history("h", undefined, 2))).toEqual([7, 8]);
      expect(seqs(await n.engine.history("h", 0, 3))).toEqual([6, 7, 8]);
      expect(seqs(await n.engine.history("h", 8))).toEqual([]);
      expect(await n.engine.history("never-used")).toEqual([]);
      const [last] = await n.engine.history("h", 7);
      expect(last).toMatchObject({ type: "message", room: "h", seq: 8, from: alice, kind: "text", text: "m8" });
    });

    it("with HISTORY_SIZE 0 keeps nothing but still numbers and delivers messages", async () => {
      await using n = await start(create, 0);
      await n.engine.join("h", alice);
      expect((await n.engine.publish("h", draft(alice, "x"))).seq).toBe(1);
      expect((await n.engine.publish("h", draft(alice, "y"))).seq).toBe(2);
      expect(await n.engine.history("h")).toEqual([]);
      expect(n.sink.messages("h").map((m) => m.seq)).toEqual([1, 2]);
    });

    it("snapshots the room's seq and members; join is idempotent per id, leave removes", async () => {
      await using n = await start(create);
      expect(await n.engine.snapshot("s")).toEqual({ seq: 0, users: [] });
      await n.engine.join("s", alice);
      await n.engine.join("s", alice);
      await n.engine.join("s", bob);
      await n.engine.publish("s", draft(alice, "x"));
      const snap = await n.engine.snapshot("s");
      expect(snap.seq).toBe(1);
      expect(snap.users.sort((a, b) => a.name.localeCompare(b.name))).toEqual([alice, bob]);
      await n.engine.leave("s", bob);
      expect((await n.engine.snapshot("s")).users).toEqual([alice]);
      await n.engine.leave("s", bob);
      expect((await n.engine.snapshot("s")).users).toEqual([alice]);
    });

    it("reports joins, leaves and a rename (leave + join of one id) as presence", async () => {
      await using n = await start(create);
      await n.engine.join("p", alice);
      await n.sink.presenceWhere((p) => p.room === "p" && p.joins.some((m) => m.id === alice.id), "alice's join");
      await n.engine.join("p", bob);
      await n.engine.leave("p", bob);
      await n.sink.presenceWhere((p) => p.room === "p" && p.leaves.some((m) => m.id === bob.id), "bob's leave");
      const renamed = { id: alice.id, name: "alicia" };
      await n.engine.leave("p", alice);
      await n.engine.join("p", renamed);
      await n.sink.presenceWhere((p) => p.joins.some((m) => m.name === "alicia"), "the rename's join");
      const changes = n.sink.presences.filter((p) => p.room === "p").flatMap((p) => [...p.leaves.map((m) => `-${m.name}`), ...p.joins.map((m) => `+${m.name}`)]);
      expect(changes).toEqual(["+alice", "+bob", "-bob", "-alice", "+alicia"]);
    });

    it("keeps delivering to a member across a rename", async () => {
      await using n = await start(create);
      await n.engine.join("r", alice);
      await n.engine.leave("r", alice);
      await n.engine.join("r", { id: alice.id, name: "alicia" });
      const msg = await n.engine.publish("r", draft(alice, "still here"));
      expect(n.sink.messages("r")).toEqual([msg]);
    });

    it("claims names atomically: one holder per key, re-claimable by the holder, released only by it", async () => {
      await using n = await start(create);
      expect(await n.engine.claimName("alice", alice)).toBe(true);
      expect(await n.engine.claimName("alice", bob)).toBe(false);
      expect(await n.engine.claimName("alice", alice)).toBe(true);
      expect(await n.engine.lookupName("alice")).toEqual(alice);
      await n.engine.releaseName("alice", bob.id);
      expect(await n.engine.lookupName("alice")).toEqual(alice);
      await n.engine.releaseName("alice", alice.id);
      expect(await n.engine.lookupName("alice")).toBeNull();
      expect(await n.engine.claimName("alice", bob)).toBe(true);
      const contenders = Array.from({ length: 10 }, (_, i) => ({ id: `c${i}`, name: "hot" }));
      const won = await Promise.all(contenders.map((m) => n.engine.claimName("hot", m)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it("delivers a direct message to the recipient's connections on this node", async () => {
      await using n = await start(create);
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: alice, to: bob, text: "psst" };
      await n.engine.sendDirect(bob.id, frame);
      await eventually(() => n.sink.published.some((p) => p.topic === userTopic(bob.id)), 3000, "the direct message");
      expect(n.sink.published.filter((p) => p.topic === userTopic(bob.id)).map((p) => JSON.parse(p.data))).toEqual([frame]);
    });

    it("is ready from start until close, and close is idempotent", async () => {
      const n = await start(create);
      expect(n.engine.ready).toBe(true);
      await Promise.all([n.engine.close(), n.engine.close()]);
      expect(n.engine.ready).toBe(false);
      await n.engine.close();
    });
  });
}
