// Edits, deletes and reactions over real sockets, on both stores: who may do what, what the room
// receives, and that a late joiner, a recovering client and scrollback all see a message's final
// state.
import { describe, expect, it } from "bun:test";
import type { Config } from "../src/config.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { applyEvent } from "../src/shared/stream.ts";
import { TestClient, startStoreServer } from "./helpers.ts";

for (const store of ["memory", "sqlite"] as const) {
  describe(`edits, deletes and reactions (STORE=${store})`, () => {
    const server = (over: Partial<Config> = {}) => startStoreServer(store, over);

    it("lets the author edit and delete, anyone react, and tells the whole room in seq order", async () => {
      await using app = await server();
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      await using bob = await TestClient.join(app, { name: "bob", room: "den" });
      const ack = await alice.chat("helo");
      expect(await alice.request({ type: "edit", room: "den", id: ack.id, text: "hello" })).toMatchObject({ type: "ok" });
      const edited = await bob.next("edited");
      expect(edited).toEqual({ type: "edited", room: "den", seq: ack.seq + 1, id: ack.id, text: "hello", ts: expect.any(Number), by: { id: alice.id, name: "alice" } });
      expect(await bob.request({ type: "react", room: "den", id: ack.id, emoji: "👍", on: true })).toMatchObject({ type: "ok" });
      expect(await alice.next("reaction")).toEqual({ type: "reaction", room: "den", seq: ack.seq + 2, id: ack.id, emoji: "👍", by: { id: bob.id, name: "bob" }, on: true });
      // Reacting again changes nothing and takes no seq.
      expect(await bob.request({ type: "react", room: "den", id: ack.id, emoji: "👍", on: true })).toMatchObject({ type: "ok" });
      const page = await bob.request({ type: "history", room: "den" });
      expect(page).toMatchObject({ type: "history", messages: [{ id: ack.id, text: "hello", edited: edited.ts, reactions: { "👍": [bob.id] } }] });
      expect(await alice.request({ type: "delete", room: "den", id: ack.id })).toMatchObject({ type: "ok" });
      expect(await bob.next("deleted")).toEqual({ type: "deleted", room: "den", seq: ack.seq + 3, id: ack.id, ts: expect.any(Number), by: { id: alice.id, name: "alice" } });
      const after = await bob.request({ type: "history", room: "den" });
      expect(after).toMatchObject({ messages: [{ id: ack.id, text: "", deleted: true }] });
      expect(JSON.stringify(after)).not.toContain("hello");
      expect((await alice.chat("next")).seq).toBe(ack.seq + 4);
    });

    it("refuses what is not yours (forbidden), what is not there (not_found), and bad input, each with its ref", async () => {
      await using app = await server();
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      await using bob = await TestClient.join(app, { name: "bob", room: "den" });
      await bob.request({ type: "join", room: "elsewhere" });
      const ack = await alice.chat("mine");
      const code = async (frame: Record<string, unknown>, c = bob) => {
        const f = await c.request(frame);
        return f.type === "error" ? f.code : f.type;
      };
      expect(await code({ type: "edit", room: "den", id: ack.id, text: "yours now" })).toBe("forbidden");
      expect(await code({ type: "delete", room: "den", id: ack.id })).toBe("forbidden");
      expect(await code({ type: "edit", room: "den", id: "no-such-id", text: "x" }, alice)).toBe("not_found");
      expect(await code({ type: "react", room: "elsewhere", id: ack.id, emoji: "👍", on: true })).toBe("not_found");
      expect(await code({ type: "react", room: "den", id: ack.id, emoji: "no", on: true })).toBe("invalid_message");
      expect(await code({ type: "react", room: "den", id: ack.id, emoji: "👍👍", on: true })).toBe("invalid_message");
      expect(await code({ type: "edit", room: "den", id: ack.id, text: "  " }, alice)).toBe("invalid_message");
      expect(await code({ type: "edit", room: "den", id: ack.id, text: "x".repeat(5000) }, alice)).toBe("text_too_long");
      expect(await code({ type: "edit", room: "nowhere", id: ack.id, text: "x" }, alice)).toBe("not_in_room");
      expect(await code({ type: "delete", room: "den", id: ack.id }, alice)).toBe("ok");
      expect(await code({ type: "delete", room: "den", id: ack.id }, alice)).toBe("not_found");
      expect(await code({ type: "edit", room: "den", id: ack.id, text: "back" }, alice)).toBe("not_found");
      expect(await code({ type: "react", room: "den", id: ack.id, emoji: "👍", on: true })).toBe("not_found");
      // One-grapheme emoji of every shape are accepted.
      const other = await alice.chat("react to me");
      for (const emoji of ["👍🏽", "🇫🇷", "1️⃣", "👨‍👩‍👧‍👦", "❤️"]) expect(await code({ type: "react", room: "den", id: other.id, emoji, on: true })).toBe("ok");
    });

    it("meters changes as requests (REQUEST_RATE_LIMIT)", async () => {
      await using app = await server({ requestRateLimit: 1 });
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      const ack = await alice.chat("x");
      for (let i = 0; i < 5; i++) alice.send({ type: "react", room: "den", id: ack.id, emoji: "👍", on: i % 2 === 0 });
      await alice.error("rate_limited");
    });

    it("shows a late joiner and a recovering client each message's final state", async () => {
      await using app = await server();
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      const a = await alice.chat("first draft");
      const b = await alice.chat("doomed");
      await alice.request({ type: "edit", room: "den", id: a.id, text: "final" });
      await alice.request({ type: "react", room: "den", id: a.id, emoji: "🎉", on: true });
      await alice.request({ type: "delete", room: "den", id: b.id });
      const c = await alice.chat("later");

      // Late joiner: scrollback holds messages only, in their final state.
      await using late = await TestClient.join(app, { name: "late", room: "den" });
      const page = await late.request({ type: "history", room: "den" });
      expect(page.type === "history" && page.messages).toEqual([
        expect.objectContaining({ id: a.id, text: "final", edited: expect.any(Number), reactions: { "🎉": [alice.id] } }),
        expect.objectContaining({ id: b.id, text: "", deleted: true }),
        expect.objectContaining({ id: c.id, text: "later" }),
      ]);

      // Recovering client: everything after its position, in order, changes included.
      await using back = await TestClient.connect(app, { name: "reader", room: "den", since: String(b.seq), epoch: alice.epoch });
      const replay = await back.next("history");
      expect(replay.recovered).toBe(true);
      expect(replay.messages.map((e) => e.type)).toEqual(["edited", "reaction", "deleted", "message"]);
      // Folding the replay into what it had gives the final state.
      const held = new Map<string, MessageFrame>([
        [a.id, { type: "message", room: "den", seq: a.seq, id: a.id, ts: 0, from: { id: alice.id, name: "alice" }, kind: "text", text: "first draft" }],
      ]);
      for (const e of replay.messages) if (e.type !== "message" && held.has(e.id)) held.set(e.id, applyEvent(held.get(e.id)!, e));
      expect(held.get(a.id)).toMatchObject({ text: "final", reactions: { "🎉": [alice.id] } });
    });
  });
}
