// Edits, deletes and reactions (Broker.apply): each takes the room's next seq, history serves
// messages in their current state, and a deleted message keeps no text.
import { describe, expect, it } from "bun:test";
import type { EventDraft } from "../../src/engine/engine.ts";
import type { Member, MessageFrame } from "../../src/shared/protocol.ts";
import { alice, bob, draft, type EngineFactory, seqs, start } from "./fixtures.ts";

export function streamChangesContract(name: string, create: EngineFactory, { changes }: { changes: boolean }): void {
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
}
