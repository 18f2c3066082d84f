// The Engine contract (src/engine/engine.ts), as one suite per part that every engine runs:
// engine-memory.test.ts and engine-redis.test.ts. Each test gets a fresh engine with empty
// state and a sink that records what the engine hands to "this node's sockets": room frames,
// user frames, presence changes and control messages, each kept apart.
import { describe, expect, it } from "bun:test";
import type { ControlMessage, Engine, EngineSink, EventDraft, MessageDraft, SendKey, StreamPosition } from "../src/engine/engine.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../src/shared/protocol.ts";
import { encode } from "../src/shared/protocol.ts";
import { eventually } from "./support.ts";

export type EngineFactory = (opts: { historySize: number }) => Engine | Promise<Engine>;

interface Presence {
  room: string;
  joins: Member[];
  leaves: Member[];
  origin?: string;
}

/** A frame handed to every local connection of one user (`except` one connection, if given). */
export interface UserDelivery {
  userId: string;
  data: string;
  except?: string;
}

/** Records everything an engine delivers to this node, in order, one list per kind. */
export class RecordingSink implements EngineSink {
  readonly rooms: { room: string; data: string }[] = [];
  readonly users: UserDelivery[] = [];
  readonly presences: Presence[] = [];
  readonly controls: ControlMessage[] = [];

  publishRoom(room: string, data: string): void {
    this.rooms.push({ room, data });
  }

  sendToUser(userId: string, data: string, exceptConn?: string): void {
    this.users.push(exceptConn === undefined ? { userId, data } : { userId, data, except: exceptConn });
  }

  presence(room: string, joins: Member[], leaves: Member[], origin?: string): void {
    this.presences.push(origin === undefined ? { room, joins, leaves } : { room, joins, leaves, origin });
  }

  control(msg: ControlMessage): void {
    this.controls.push(msg);
  }

  /** A restart is recorded in the room's stream, where members would see it: before the new epoch's messages. */
  restarted(room: string, pos: StreamPosition): void {
    this.rooms.push({ room, data: JSON.stringify({ type: "epoch", room, ...pos }) });
  }

  /** Every frame handed to `room`'s local members, decoded, in delivery order. */
  frames(room: string): { type: string }[] {
    return this.rooms.filter((p) => p.room === room).map((p) => JSON.parse(p.data) as { type: string });
  }

  /** The messages among them. */
  messages(room: string): MessageFrame[] {
    return this.frames(room).filter((f): f is MessageFrame => f.type === "message");
  }

  /** Frames handed to `userId`'s local connections. */
  toUser(userId: string): UserDelivery[] {
    return this.users.filter((u) => u.userId === userId);
  }

  /** The room's presence changes as `+name` / `-name`, in order. */
  changes(room: string): string[] {
    return this.presences.filter((p) => p.room === room).flatMap((p) => [...p.leaves.map((m) => `-${m.name}`), ...p.joins.map((m) => `+${m.name}`)]);
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
const seqs = (ms: { seq: number }[]): number[] => ms.map((m) => m.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** What an engine's history keeps, for the parts of the contract that depend on it. */
export interface ContractOptions {
  /** History is the last HISTORY_SIZE entries (memory, Redis); false: everything, trimmed by retention (SQLite). */
  windowed?: boolean;
  /** Edits, deletes and reactions are supported (not yet on Redis). */
  changes?: boolean;
}

export function engineContract(name: string, create: EngineFactory, opts: ContractOptions = {}): void {
  const { windowed = true, changes = true } = opts;
  describe(`Broker contract: ${name}`, () => {
    it("gives each room its own gapless seq from 1 and returns the full frame", async () => {
      await using n = await start(create);
      await n.engine.presence.join("one", alice);
      await n.engine.presence.join("two", alice);
      const d = draft(alice, "hello");
      const first = await n.engine.broker.publish("one", d);
      expect(first).toEqual({ message: { type: "message", room: "one", seq: 1, id: d.id, ts: d.ts, from: alice, kind: "text", text: "hello" }, duplicate: false });
      expect((await n.engine.broker.publish("one", draft(alice, "again"))).message.seq).toBe(2);
      expect((await n.engine.broker.publish("two", draft(alice, "elsewhere"))).message.seq).toBe(1);
    });

    it("has delivered a message to the room's local members by the time publish resolves", async () => {
      await using n = await start(create);
      await n.engine.presence.join("den", alice);
      const { message } = await n.engine.broker.publish("den", draft(alice, "mine"));
      expect(n.sink.messages("den")).toEqual([message]);
    });

    it("keeps concurrent publishes gapless and delivers them once each, in seq order", async () => {
      await using n = await start(create);
      await n.engine.presence.join("race", alice);
      const sent = await Promise.all(range(1, 50).map((i) => n.engine.broker.publish("race", draft(alice, `m${i}`))));
      expect(sent.map((p) => p.message.seq).sort((a, b) => a - b)).toEqual(range(1, 50));
      expect(seqs(n.sink.messages("race"))).toEqual(range(1, 50));
    });

    it.if(windowed)("with HISTORY_SIZE 0 keeps nothing but still numbers and delivers messages", async () => {
      await using n = await start(create, 0);
      await n.engine.presence.join("h", alice);
      expect((await n.engine.broker.publish("h", draft(alice, "x"))).message.seq).toBe(1);
      expect((await n.engine.broker.publish("h", draft(alice, "y"))).message.seq).toBe(2);
      expect(seqs(n.sink.messages("h"))).toEqual([1, 2]);
    });

    it("answers a publish whose SendKey it has seen with the original message, publishing nothing", async () => {
      await using n = await start(create);
      await n.engine.presence.join("idem", alice);
      const key: SendKey = { userId: alice.id, cid: "c-1" };
      const first = await n.engine.broker.publish("idem", draft(alice, "once"), key);
      expect(first.duplicate).toBe(false);
      // A retry carries a new draft (new id, time, even text): the original still wins.
      const retry = await n.engine.broker.publish("idem", draft(alice, "once, again"), key);
      expect(retry).toEqual({ message: first.message, duplicate: true });
      // Even when it names another room.
      expect(await n.engine.broker.publish("elsewhere", draft(alice, "once"), key)).toEqual({ message: first.message, duplicate: true });
      expect(n.sink.messages("idem")).toEqual([first.message]);
      expect((await n.engine.history.position("idem")).seq).toBe(1);
      expect((await n.engine.history.position("elsewhere")).seq).toBe(0);
      // Another cid, or the same cid from another user, is another message.
      expect((await n.engine.broker.publish("idem", draft(alice, "two"), { userId: alice.id, cid: "c-2" })).message.seq).toBe(2);
      expect((await n.engine.broker.publish("idem", draft(bob, "mine"), { userId: bob.id, cid: "c-1" })).message.seq).toBe(3);
      expect((await n.engine.broker.publish("idem", draft(alice, "no key"))).message.seq).toBe(4);
      expect((await n.engine.broker.publish("idem", draft(alice, "no key"))).message.seq).toBe(5);
    });

    it("keeps SendKeys apart whatever characters the user id holds", async () => {
      await using n = await start(create);
      await n.engine.presence.join("ids", alice);
      const keys: SendKey[] = [
        { userId: "a:1", cid: "b" },
        { userId: "a", cid: "1:b" },
        { userId: "a\n1", cid: "b" },
        { userId: "a", cid: "1\nb" },
        { userId: "1:a", cid: "b" },
        { userId: "", cid: "1:a:b" },
      ];
      const sent = [];
      for (const key of keys) sent.push(await n.engine.broker.publish("ids", draft(alice, JSON.stringify(key)), key));
      expect(sent.map((p) => p.duplicate)).toEqual(keys.map(() => false));
      expect(sent.map((p) => p.message.seq)).toEqual(range(1, keys.length));
    });

    it("delivers a signal to the room's local members, unsequenced and unstored", async () => {
      await using n = await start(create);
      await n.engine.presence.join("sig", alice);
      const notice = encode({ type: "notice", room: "sig", text: "alice is typing" });
      await n.engine.broker.signal("sig", notice);
      await eventually(() => n.sink.frames("sig").length > 0, 3000, "the signal");
      expect(n.sink.rooms.filter((r) => r.room === "sig")).toEqual([{ room: "sig", data: notice }]);
      expect((await n.engine.history.position("sig")).seq).toBe(0);
      expect((await n.engine.history.page("sig", { limit: 10 })).messages).toEqual([]);
      expect((await n.engine.broker.publish("sig", draft(alice, "first"))).message.seq).toBe(1);
    });

    it("delivers a frame to a user's local connections, but the one excepted", async () => {
      await using n = await start(create);
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: alice, to: bob, text: "psst" };
      await n.engine.broker.sendToUser(bob.id, frame, "conn-7");
      await n.engine.broker.sendToUser(alice.id, { ...frame, id: "d2" });
      await eventually(() => n.sink.users.length === 2, 3000, "both user frames");
      expect(n.sink.toUser(bob.id)).toEqual([{ userId: bob.id, data: encode(frame), except: "conn-7" }]);
      expect(n.sink.toUser(alice.id)).toEqual([{ userId: alice.id, data: encode({ ...frame, id: "d2" }) }]);
      expect(n.sink.rooms).toEqual([]);
    });

    it("has handed a control message to this node by the time control resolves", async () => {
      await using n = await start(create);
      const msg: ControlMessage = { type: "renamed", userId: alice.id, name: "alicia" };
      await n.engine.broker.control(msg);
      expect(n.sink.controls).toEqual([msg]);
    });

    it("keeps delivering to a member across a rename", async () => {
      await using n = await start(create);
      await n.engine.presence.join("r", alice);
      await n.engine.presence.join("r", { id: alice.id, name: "alicia" });
      const { message } = await n.engine.broker.publish("r", draft(alice, "still here"));
      expect(n.sink.messages("r")).toEqual([message]);
    });
  });

  describe(`HistoryStore contract: ${name}`, () => {
    it("starts a room at seq 0 and keeps its epoch while the engine lives", async () => {
      await using n = await start(create);
      const empty = await n.engine.history.position("pos");
      expect(empty.seq).toBe(0);
      expect(empty.epoch).toBeString();
      expect(empty.epoch.length).toBeGreaterThan(0);
      expect(empty.epoch.length).toBeLessThanOrEqual(64);
      expect(await n.engine.history.position("pos")).toEqual(empty);
      await n.engine.presence.join("pos", alice);
      await n.engine.broker.publish("pos", draft(alice, "x"));
      await n.engine.broker.publish("pos", draft(alice, "y"));
      expect(await n.engine.history.position("pos")).toEqual({ seq: 2, epoch: empty.epoch });
      expect(await n.engine.history.page("pos", { limit: 1 })).toMatchObject({ seq: 2, epoch: empty.epoch });
    });

    it("answers an empty room with an empty page at seq 0, whatever the cursor", async () => {
      await using n = await start(create);
      const { epoch } = await n.engine.history.position("void");
      for (const q of [{ limit: 10 }, { after: 0, limit: 10 }, { after: 5, limit: 10 }, { before: 5, limit: 10 }, { before: 0, limit: 1 }]) {
        expect(await n.engine.history.page("void", q)).toEqual({ seq: 0, epoch, messages: [], more: false });
      }
      expect(await n.engine.history.page("never-used", { limit: 10 })).toMatchObject({ seq: 0, messages: [], more: false });
    });

    it.if(windowed)("pages the last HISTORY_SIZE messages after, before and from the newest, with `more` at the edges", async () => {
      await using n = await start(create, 5);
      await n.engine.presence.join("h", alice);
      const sent: MessageFrame[] = [];
      for (let i = 1; i <= 8; i++) sent.push((await n.engine.broker.publish("h", draft(alice, `m${i}`))).message);
      const { epoch } = await n.engine.history.position("h");
      const page = async (q: { before?: number; after?: number; limit: number }) => {
        const p = await n.engine.history.page("h", q);
        expect(p.seq).toBe(8);
        expect(p.epoch).toBe(epoch);
        return [seqs(p.messages), p.more];
      };
      // Kept: 4..8. The newest `limit`, ascending; `more` when older kept ones remain.
      expect(await page({ limit: 10 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ limit: 5 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ limit: 4 })).toEqual([[5, 6, 7, 8], true]);
      expect(await page({ limit: 2 })).toEqual([[7, 8], true]);
      expect(await page({ before: 7, limit: 2 })).toEqual([[5, 6], true]);
      expect(await page({ before: 6, limit: 2 })).toEqual([[4, 5], false]);
      expect(await page({ before: 5, limit: 2 })).toEqual([[4], false]);
      expect(await page({ before: 4, limit: 2 })).toEqual([[], false]);
      expect(await page({ before: 1, limit: 2 })).toEqual([[], false]);
      expect(await page({ before: 100, limit: 3 })).toEqual([[6, 7, 8], true]);
      // After a seq: the first `limit` newer ones; `more` when newer ones remain.
      expect(await page({ after: 0, limit: 2 })).toEqual([[4, 5], true]);
      expect(await page({ after: 0, limit: 10 })).toEqual([[4, 5, 6, 7, 8], false]);
      expect(await page({ after: 5, limit: 2 })).toEqual([[6, 7], true]);
      expect(await page({ after: 6, limit: 2 })).toEqual([[7, 8], false]);
      expect(await page({ after: 7, limit: 2 })).toEqual([[8], false]);
      expect(await page({ after: 8, limit: 2 })).toEqual([[], false]);
      expect(await page({ after: 100, limit: 2 })).toEqual([[], false]);
      expect((await n.engine.history.page("h", { after: 6, limit: 10 })).messages).toEqual(sent.slice(6));
    });

    it.if(windowed)("with HISTORY_SIZE 0 pages nothing but still reports the seq", async () => {
      await using n = await start(create, 0);
      await n.engine.presence.join("h", alice);
      await n.engine.broker.publish("h", draft(alice, "x"));
      await n.engine.broker.publish("h", draft(alice, "y"));
      const { epoch } = await n.engine.history.position("h");
      expect(await n.engine.history.page("h", { limit: 10 })).toEqual({ seq: 2, epoch, messages: [], more: false });
      expect(await n.engine.history.page("h", { after: 0, limit: 10 })).toEqual({ seq: 2, epoch, messages: [], more: false });
    });
  });

  describe.if(changes)(`Stream changes contract: ${name}`, () => {
    const by = (m: Member) => ({ id: m.id, name: m.name });
    const edit = (id: string, text: string, m = alice): EventDraft => ({ type: "edit", id, ts: Date.now(), by: by(m), text });
    const del = (id: string, m = alice): EventDraft => ({ type: "delete", id, ts: Date.now(), by: by(m) });
    const react = (id: string, emoji: string, on: boolean, m = alice): EventDraft => ({ type: "react", id, ts: Date.now(), by: by(m), emoji, on });

    it("gives each change the room's next seq, delivers it in order, and pages it forward but not backward", async () => {
      await using n = await start(create);
      await n.engine.presence.join("ch", alice);
      const { message: m1 } = await n.engine.broker.publish("ch", draft(alice, "frist"));
      const { message: m2 } = await n.engine.broker.publish("ch", draft(bob, "second"));
      const edited = await n.engine.broker.apply("ch", edit(m1.id, "first"));
      expect(edited).toMatchObject({ ok: true, event: { type: "edited", room: "ch", seq: 3, id: m1.id, text: "first", by: alice } });
      expect(await n.engine.broker.apply("ch", react(m2.id, "👍", true))).toMatchObject({ ok: true, event: { type: "reaction", seq: 4, emoji: "👍", on: true, by: alice } });
      expect(await n.engine.broker.apply("ch", react(m2.id, "👍", true, bob))).toMatchObject({ ok: true, event: { seq: 5 } });
      expect(n.sink.frames("ch").map((f) => (f as unknown as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await n.engine.history.position("ch")).seq).toBe(5);
      const forward = await n.engine.history.page("ch", { after: 0, limit: 10 });
      expect(forward.messages.map((e) => `${e.seq}:${e.type}`)).toEqual(["1:message", "2:message", "3:edited", "4:reaction", "5:reaction"]);
      // Messages come in their current state, forward and backward.
      expect(forward.messages[0]).toMatchObject({ text: "first", edited: expect.any(Number) });
      const back = await n.engine.history.page("ch", { limit: 10 });
      expect(back.messages.map((e) => e.seq)).toEqual([1, 2]);
      expect(back.messages[1]).toMatchObject({ text: "second", reactions: { "👍": [alice.id, bob.id] } });
      expect(await n.engine.history.page("ch", { before: 5, limit: 1 })).toMatchObject({ messages: [{ seq: 2 }], more: true });
      expect(await n.engine.history.message("ch", m1.id)).toMatchObject({ seq: 1, text: "first" });
    });

    it("takes no seq for a reaction that is already so, and one per user per emoji", async () => {
      await using n = await start(create);
      await n.engine.presence.join("re", alice);
      const { message } = await n.engine.broker.publish("re", draft(alice, "react to me"));
      expect(await n.engine.broker.apply("re", react(message.id, "🎉", false))).toEqual({ ok: true, event: null });
      await n.engine.broker.apply("re", react(message.id, "🎉", true));
      expect(await n.engine.broker.apply("re", react(message.id, "🎉", true))).toEqual({ ok: true, event: null });
      await n.engine.broker.apply("re", react(message.id, "❤️", true));
      expect((await n.engine.history.message("re", message.id))?.reactions).toEqual({ "🎉": [alice.id], "❤️": [alice.id] });
      await n.engine.broker.apply("re", react(message.id, "🎉", false));
      await n.engine.broker.apply("re", react(message.id, "❤️", false));
      expect((await n.engine.history.message("re", message.id))?.reactions).toBeUndefined();
      expect((await n.engine.history.position("re")).seq).toBe(5);
    });

    it("erases a deleted message's text (and its edits') and refuses further changes to it", async () => {
      await using n = await start(create);
      await n.engine.presence.join("del", alice);
      const { message } = await n.engine.broker.publish("del", draft(alice, "secret"));
      await n.engine.broker.apply("del", edit(message.id, "still secret"));
      await n.engine.broker.apply("del", react(message.id, "👀", true, bob));
      const gone = await n.engine.broker.apply("del", del(message.id));
      expect(gone).toMatchObject({ ok: true, event: { type: "deleted", seq: 4, id: message.id, by: alice } });
      const tomb: MessageFrame = { type: "message", room: "del", seq: 1, id: message.id, ts: message.ts, from: alice, kind: "text", text: "", deleted: true };
      expect(await n.engine.history.message("del", message.id)).toEqual(tomb);
      const all = await n.engine.history.page("del", { after: 0, limit: 10 });
      expect(JSON.stringify(all.messages)).not.toContain("secret");
      expect(all.messages[0]).toEqual(tomb);
      for (const d of [edit(message.id, "back"), del(message.id), react(message.id, "👀", true)]) {
        expect(await n.engine.broker.apply("del", d)).toEqual({ ok: false, reason: "not_found" });
      }
      expect(await n.engine.broker.apply("del", edit("no-such-id", "x"))).toEqual({ ok: false, reason: "not_found" });
      expect(await n.engine.broker.apply("never-used", edit(message.id, "x"))).toEqual({ ok: false, reason: "not_found" });
      expect((await n.engine.history.position("del")).seq).toBe(4);
      expect(await n.engine.history.message("del", "no-such-id")).toBeNull();
    });

    it("applies concurrent changes in order: a change after a delete finds nothing", async () => {
      await using n = await start(create);
      await n.engine.presence.join("race", alice);
      const { message } = await n.engine.broker.publish("race", draft(alice, "x"));
      const [a, b, c] = await Promise.all([
        n.engine.broker.apply("race", edit(message.id, "y")),
        n.engine.broker.apply("race", del(message.id)),
        n.engine.broker.apply("race", edit(message.id, "z")),
      ]);
      expect([a.ok, b.ok, c]).toEqual([true, true, { ok: false, reason: "not_found" }]);
      expect(seqs(n.sink.frames("race") as unknown as { seq: number }[])).toEqual([1, 2, 3]);
    });
  });

  describe(`PresenceStore contract: ${name}`, () => {
    it("reports joins, leaves and a rename (a join of a present id with a new name) as presence", async () => {
      await using n = await start(create);
      await n.engine.presence.join("p", alice);
      await n.engine.presence.join("p", alice);
      await n.engine.presence.join("p", bob);
      await n.engine.presence.leave("p", bob);
      await n.engine.presence.leave("p", bob);
      await n.engine.presence.join("p", { id: alice.id, name: "alicia" });
      await n.sink.presenceWhere((p) => p.joins.some((m) => m.name === "alicia"), "the rename's join");
      expect(n.sink.changes("p")).toEqual(["+alice", "+bob", "-bob", "+alicia"]);
      expect(await n.engine.presence.page("p", undefined, 10)).toEqual({ count: 1, users: [{ id: alice.id, name: "alicia" }] });
      await n.engine.presence.leave("p", alice);
      await n.sink.presenceWhere((p) => p.leaves.some((m) => m.id === alice.id), "alice's leave");
      expect(n.sink.changes("p")).toEqual(["+alice", "+bob", "-bob", "+alicia", "-alicia"]);
      expect(await n.engine.presence.page("p", undefined, 10)).toEqual({ count: 0, users: [] });
    });

    it("pages members ordered by id (code units), after an exclusive cursor, with the full count", async () => {
      await using n = await start(create);
      // Upper case sorts before lower case, a prefix before its extensions, non-ASCII last.
      const ids = ["b", "a", "ab", "B", "é", "a0", "Z", "aa"];
      for (const id of ids) await n.engine.presence.join("who", { id, name: `n-${id}` });
      const sorted = ["B", "Z", "a", "a0", "aa", "ab", "b", "é"];
      const m = (id: string): Member => ({ id, name: `n-${id}` });
      expect(await n.engine.presence.page("who", undefined, 3)).toEqual({ count: 8, users: sorted.slice(0, 3).map(m), next: "a" });
      expect(await n.engine.presence.page("who", "a", 3)).toEqual({ count: 8, users: sorted.slice(3, 6).map(m), next: "ab" });
      expect(await n.engine.presence.page("who", "ab", 3)).toEqual({ count: 8, users: sorted.slice(6).map(m) });
      expect(await n.engine.presence.page("who", undefined, 8)).toEqual({ count: 8, users: sorted.map(m) });
      // A cursor that is nobody's id: the members above it.
      expect(await n.engine.presence.page("who", "a1", 2)).toEqual({ count: 8, users: ["aa", "ab"].map(m), next: "ab" });
      expect(await n.engine.presence.page("who", "é", 3)).toEqual({ count: 8, users: [] });
      expect(await n.engine.presence.page("nobody-here", undefined, 3)).toEqual({ count: 0, users: [] });
      await n.engine.presence.leave("who", m("a0"));
      expect(await n.engine.presence.page("who", "a", 2)).toEqual({ count: 7, users: ["aa", "ab"].map(m), next: "ab" });
    });

    it("finds one member by id, with the room's count, and finds nobody who is not in it", async () => {
      await using n = await start(create);
      await n.engine.presence.join("f", alice);
      await n.engine.presence.join("f", { id: bob.id, name: "bobby" });
      expect(await n.engine.presence.find("f", bob.id)).toEqual({ count: 2, users: [{ id: bob.id, name: "bobby" }] });
      expect(await n.engine.presence.find("f", "nobody")).toEqual({ count: 2, users: [] });
      expect(await n.engine.presence.find("empty", alice.id)).toEqual({ count: 0, users: [] });
    });

    it("lists the rooms that have members, by name, paged, with counts; an emptied room drops out", async () => {
      await using n = await start(create);
      for (const room of ["rc", "ra", "rb", "rd"]) await n.engine.presence.join(room, alice);
      await n.engine.presence.join("rb", bob);
      expect(await n.engine.presence.rooms(undefined, 10)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 2 }, { room: "rc", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms(undefined, 2)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 2 }], next: "rb" });
      expect(await n.engine.presence.rooms("rb", 2)).toEqual({ rooms: [{ room: "rc", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms("rd", 2)).toEqual({ rooms: [] });
      await n.engine.presence.leave("rc", alice);
      await n.engine.presence.leave("rb", alice);
      expect(await n.engine.presence.rooms(undefined, 10)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms("ra", 1)).toEqual({ rooms: [{ room: "rb", count: 1 }], next: "rb" });
    });

    it("names the origin node of each presence change", async () => {
      await using n = await start(create);
      await n.engine.presence.join("o", alice);
      await n.engine.presence.leave("o", alice);
      await n.sink.presenceWhere((p) => p.room === "o" && p.leaves.length > 0, "the leave");
      expect(n.sink.presences.filter((p) => p.room === "o").map((p) => p.origin)).toEqual([n.engine.nodeId, n.engine.nodeId]);
    });
  });

  describe(`NameRegistry contract: ${name}`, () => {
    it("claims names atomically: one holder per key, re-claimable by the holder", async () => {
      await using n = await start(create);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      expect(await n.engine.names.claim("alice", bob)).toBe(false);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      expect(await n.engine.names.lookup("alice")).toEqual(alice);
      const contenders = range(0, 9).map((i) => ({ id: `c${i}`, name: "hot" }));
      const won = await Promise.all(contenders.map((m) => n.engine.names.claim("hot", m)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await n.engine.names.lookup("hot")).toEqual(contenders[won.indexOf(true)]!);
    });

    it("releases a name only for its holder, and looks up nobody for a free name", async () => {
      await using n = await start(create);
      expect(await n.engine.names.lookup("alice")).toBeNull();
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      await n.engine.names.release("alice", bob.id);
      expect(await n.engine.names.lookup("alice")).toEqual(alice);
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.lookup("alice")).toBeNull();
      expect(await n.engine.names.claim("alice", bob)).toBe(true);
      expect(await n.engine.names.lookup("alice")).toEqual(bob);
    });

    it("looks a connected user up by id: its current name, through a rename, until released", async () => {
      await using n = await start(create);
      expect(await n.engine.names.lookupUser(alice.id)).toBeNull();
      await n.engine.names.claim("alice", alice);
      expect(await n.engine.names.lookupUser(alice.id)).toEqual(alice);
      const renamed = { id: alice.id, name: "alicia" };
      await n.engine.names.claim("alicia", renamed);
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.lookupUser(alice.id)).toEqual(renamed);
      await n.engine.names.release("alicia", alice.id);
      expect(await n.engine.names.lookupUser(alice.id)).toBeNull();
      expect(await n.engine.names.lookupUser(bob.id)).toBeNull();
    });
  });

  describe(`Engine lifecycle: ${name}`, () => {
    it("is ready from start until close, and close is idempotent", async () => {
      const n = await start(create);
      expect(n.engine.ready).toBe(true);
      await Promise.all([n.engine.close(), n.engine.close()]);
      expect(n.engine.ready).toBe(false);
      await n.engine.close();
    });
  });
}
