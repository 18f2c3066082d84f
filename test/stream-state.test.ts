// The pure rules of stored messages: applying a change (shared/stream.ts, used by the stores and
// the SDK), what counts as a reaction emoji, and the SDK's per-room message list.
import { describe, expect, it } from "bun:test";
import { MessageList } from "../src/client/message-list.ts";
import { isEmoji } from "../src/shared/emoji.ts";
import type { MessageFrame, StreamEvent } from "../src/shared/protocol.ts";
import { applyEvent } from "../src/shared/stream.ts";

const alice = { id: "a", name: "alice" };
const bob = { id: "b", name: "bob" };
const msg = (seq: number, text = `m${seq}`): MessageFrame => ({ type: "message", room: "r", seq, id: `id${seq}`, ts: seq, from: alice, kind: "text", text });
const reaction = (id: string, emoji: string, by: typeof alice, on: boolean, seq = 10): StreamEvent => ({ type: "reaction", room: "r", seq, id, emoji, by, on });

describe("applyEvent", () => {
  it("edits, reacts and deletes, each idempotently, and a deleted message takes nothing more", () => {
    const edit: StreamEvent = { type: "edited", room: "r", seq: 2, id: "id1", text: "better", ts: 99, by: alice };
    const once = applyEvent(msg(1), edit);
    expect(once).toEqual({ ...msg(1), text: "better", edited: 99 });
    expect(applyEvent(once, edit)).toEqual(once);
    const liked = applyEvent(applyEvent(once, reaction("id1", "👍", bob, true)), reaction("id1", "👍", bob, true));
    expect(liked.reactions).toEqual({ "👍": ["b"] });
    const both = applyEvent(liked, reaction("id1", "👍", alice, true));
    expect(both.reactions).toEqual({ "👍": ["b", "a"] });
    const off = applyEvent(applyEvent(both, reaction("id1", "👍", bob, false)), reaction("id1", "👍", alice, false));
    expect(off).toEqual(once);
    expect("reactions" in off).toBe(false);
    const gone = applyEvent(both, { type: "deleted", room: "r", seq: 5, id: "id1", ts: 100, by: alice });
    expect(gone).toEqual({ type: "message", room: "r", seq: 1, id: "id1", ts: 1, from: alice, kind: "text", text: "", deleted: true });
    expect(applyEvent(gone, edit)).toBe(gone);
    expect(applyEvent(gone, reaction("id1", "👍", bob, true))).toBe(gone);
  });
});

describe("isEmoji", () => {
  it.each(["👍", "👍🏽", "🇫🇷", "1️⃣", "👨‍👩‍👧‍👦", "❤️", "🏳️‍🌈"])("accepts %s", (e) => expect(isEmoji(e)).toBe(true));
  it.each(["", "a", "👍👍", " 👍", "👍 ", ":)", "ab", "1", "x".repeat(40)])("refuses %j", (e) => expect(isEmoji(e)).toBe(false));
});

describe("MessageList (SDK)", () => {
  it("appends live messages, merges older pages in seq order once, and applies changes", () => {
    const list = new MessageList();
    list.append(msg(5));
    list.append(msg(6));
    list.insert([msg(3), msg(4), msg(5)]);
    expect(list.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
    expect(list.oldestSeq).toBe(3);
    expect(list.apply(reaction("id4", "🎉", bob, true))?.reactions).toEqual({ "🎉": ["b"] });
    expect(list.messages[1]!.reactions).toEqual({ "🎉": ["b"] });
    expect(list.apply(reaction("id-unknown", "🎉", bob, true))).toBeNull();
    list.clear();
    expect(list.messages).toEqual([]);
  });
});
