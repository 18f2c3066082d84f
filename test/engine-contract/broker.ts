// The Broker part of the Engine contract: sequenced, idempotent publishes into a room, delivered
// locally before publish resolves; signals, frames to a user, and control messages.
import { describe, expect, it } from "bun:test";
import type { ControlMessage, SendKey } from "../../src/engine/engine.ts";
import type { DirectMessageFrame } from "../../src/shared/protocol.ts";
import { encode } from "../../src/shared/protocol.ts";
import { eventually } from "../support.ts";
import { alice, bob, draft, type EngineFactory, range, seqs, start } from "./fixtures.ts";

export function brokerContract(name: string, create: EngineFactory, { windowed }: { windowed: boolean }): void {
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

    it("delivers a direct message to the recipient's connections and the sender's, but the one excepted", async () => {
      await using n = await start(create);
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: alice, to: bob, text: "psst" };
      expect(await n.engine.broker.direct({ to: bob.id, frame, from: alice.id, mine: frame, exceptConn: "conn-7" })).toBeNull();
      await eventually(() => n.sink.users.length === 2, 3000, "both copies");
      expect(n.sink.toUser(bob.id)).toEqual([{ userId: bob.id, data: encode(frame) }]);
      expect(n.sink.toUser(alice.id)).toEqual([{ userId: alice.id, data: encode(frame), except: "conn-7" }]);
      // To oneself: only the sender's copy.
      const note = { ...frame, id: "d2", to: alice };
      expect(await n.engine.broker.direct({ to: null, frame: note, from: alice.id, mine: note })).toBeNull();
      await eventually(() => n.sink.users.length === 3, 3000, "the note to self");
      expect(n.sink.toUser(alice.id).at(-1)).toEqual({ userId: alice.id, data: encode(note) });
      expect(n.sink.rooms).toEqual([]);
    });

    it("sends a direct message with a seen SendKey once and answers the sender's first copy", async () => {
      await using n = await start(create);
      const key: SendKey = { userId: alice.id, cid: "dm-1" };
      const frame: DirectMessageFrame = { type: "direct", id: "d1", ts: 1, from: alice, to: bob, text: "once" };
      const mine = { ...frame, cid: key.cid };
      expect(await n.engine.broker.sentDirect(key)).toBeNull();
      expect(await n.engine.broker.direct({ to: bob.id, frame, from: alice.id, mine, key })).toBeNull();
      const retry = { ...frame, id: "d2", ts: 2 };
      expect(await n.engine.broker.direct({ to: bob.id, frame: retry, from: alice.id, mine: { ...retry, cid: key.cid }, key })).toEqual(mine);
      expect(await n.engine.broker.sentDirect(key)).toEqual(mine);
      // A chat's cid and another user's cid are other keys.
      expect(await n.engine.broker.sentDirect({ userId: bob.id, cid: "dm-1" })).toBeNull();
      await n.engine.presence.join("k", alice);
      expect((await n.engine.broker.publish("k", draft(alice, "same cid, a chat"), key)).duplicate).toBe(false);
      // A later message to bob, so the retry had its chance to arrive first (Redis delivers in order).
      const later = { ...frame, id: "d3" };
      await n.engine.broker.direct({ to: bob.id, frame: later, from: alice.id, mine: later });
      await eventually(() => n.sink.users.length >= 4, 3000, "the later message's copies");
      expect(n.sink.users.map((u) => JSON.parse(u.data).id)).toEqual(["d1", "d1", "d3", "d3"]);
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
}
