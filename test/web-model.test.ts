// The page's model (public/conversations.ts) without a browser: a room shows the SDK's messages
// with the page's own notices and pending sends merged in, and keeps the old epoch's messages,
// stale, after a server restart.
import { describe, expect, it } from "bun:test";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { createConversations, type Line } from "../public/conversations.ts";

const ME = { id: "u-me", name: "me" };
const msg = (seq: number, text = `m${seq}`, from = "u-bob"): MessageFrame => ({ type: "message", room: "den", seq, id: `id-${seq}`, ts: seq * 1000, from: { id: from, name: from.slice(2) }, kind: "text", text });
const shown = (lines: Line[]) => lines.map((l) => (l.type === "message" ? `${"stale" in l ? "stale " : ""}${l.text}` : `${l.type}: ${l.text}`));

function setup() {
  const sdk: MessageFrame[] = [];
  let changes = 0;
  const model = createConversations(
    () => changes++,
    () => ME,
    () => sdk,
    (text, name) => text.includes(`@${name}`),
  );
  return { sdk, model, room: model.room("den"), changes: () => changes };
}

describe("the page's model", () => {
  it("shows a room's messages from the SDK, a notice after the message it followed, and pending sends last", () => {
    const { sdk, model, room } = setup();
    sdk.push(msg(1), msg(2));
    model.add(room, { type: "notice", text: "In #den: bob" });
    model.addPending(room, "on its way", false);
    sdk.push(msg(3));
    expect(shown(model.lines(room))).toEqual(["m1", "m2", "notice: In #den: bob", "m3", "pending: on its way"]);
    // Our own message replaces the pending line with its text.
    sdk.push(msg(4, "on its way", ME.id));
    model.arrived(room, sdk.at(-1)!);
    expect(shown(model.lines(room))).toEqual(["m1", "m2", "notice: In #den: bob", "m3", "on its way"]);
    expect(model.lastSeq(room)).toBe(4);
  });

  it("shows the newest messages the SDK holds, as many as scrollback asked for", () => {
    const { sdk, model, room } = setup();
    for (let i = 1; i <= 600; i++) sdk.push(msg(i));
    expect(model.lines(room)).toHaveLength(500);
    expect(shown(model.lines(room))[0]).toBe("m101");
    room.shown += 50;
    expect(shown(model.lines(room))[0]).toBe("m51");
  });

  it("counts a room's unread messages and mentions from others after the read marker", () => {
    const { sdk, model, room } = setup();
    sdk.push(msg(1), msg(2, "hi @me"), msg(3, "mine", ME.id), msg(4));
    model.setLastRead(room, 1);
    expect([model.unread(room), model.unreadMentions(room)]).toEqual([2, 1]);
    model.setLastRead(room, 4);
    expect([model.unread(room), model.unreadMentions(room)]).toEqual([0, 0]);
  });

  it("keeps what a room showed before a server restart, stale, above the new epoch's messages", () => {
    const { sdk, model, room } = setup();
    sdk.push(msg(1, "old one"), msg(2, "old two"));
    model.add(room, { type: "notice", text: "before" });
    model.setLastRead(room, 2);
    // The SDK's list starts again (reset): it hands over what it held.
    const previous = sdk.splice(0);
    model.restarted(room, previous);
    sdk.push(msg(1, "new one"));
    expect(shown(model.lines(room))).toEqual(["stale old one", "stale old two", "notice: before", "notice: The server restarted; the room's history starts again here.", "new one"]);
    expect(room.lastRead).toBe(0);
    expect(model.unread(room)).toBe(1);
  });

  it("counts direct messages from the peer as unread until the conversation is opened", () => {
    const { model } = setup();
    const dm = model.dm("Bob");
    const direct = { type: "direct" as const, id: "d1", ts: 1, from: { id: "u-bob", name: "Bob" }, to: { id: ME.id, name: ME.name }, text: "psst" };
    model.add(dm, direct);
    expect(model.unread(dm)).toBe(1);
    model.select(dm.key);
    expect([model.unread(dm), dm.divider]).toEqual([0, 0]);
    expect(shown(model.lines(dm))).toEqual(["direct: psst"]);
  });
});
