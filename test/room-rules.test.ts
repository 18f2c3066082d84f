// The pure rules of rooms (src/room-rules.ts) and the client's reading of them
// (src/client/room-settings.ts), checked directly: every rank against every action.
import { describe, expect, it } from "bun:test";
import { applyChange, describeChange, settingsOf } from "../src/client/room-settings.ts";
import { parseRoomState } from "../src/room-states.ts";
import { decide, isPlain, mayEnter, mayPost, newRoomState, roleOf, roomInfo, slowFor, type Actor, type RoomState } from "../src/room-rules.ts";
import type { MessageFrame, UsersFrame } from "../src/shared/protocol.ts";

const NOW = 1_800_000_000_000;
const who = (id: string, extra: Partial<Actor> = {}): Actor => ({ member: { id, name: id }, admin: false, ...extra });
const m = (id: string) => ({ id, name: id });

function state(over: Partial<RoomState> = {}): RoomState {
  return { ...newRoomState("own"), roles: { mod: "moderator" }, ...over };
}

function apply(s: RoomState, a: Actor, action: Parameters<typeof decide>[2]): RoomState {
  const d = decide(s, a, action, NOW);
  if (!d.ok) throw new Error(d.message);
  return d.next ?? s;
}

describe("room rules", () => {
  it("ranks owner > moderator > member, an admin as a moderator, the server above all", () => {
    const s = state();
    expect([roleOf(s, "own"), roleOf(s, "mod"), roleOf(s, "x")]).toEqual(["owner", "moderator", "member"]);
    expect(decide(s, who("x"), { type: "kick", user: m("y") }, NOW)).toMatchObject({ ok: false, code: "forbidden" });
    expect(decide(s, who("mod"), { type: "kick", user: m("own") }, NOW)).toMatchObject({ ok: false, code: "forbidden" });
    expect(decide(s, who("x", { admin: true }), { type: "kick", user: m("mod") }, NOW)).toMatchObject({ ok: false });
    expect(decide(s, who("x", { admin: true }), { type: "kick", user: m("y") }, NOW)).toMatchObject({ ok: true });
    expect(decide(s, who("api", { server: true }), { type: "ban", user: m("own") }, NOW)).toMatchObject({ ok: true });
    expect(decide(s, who("mod"), { type: "mode", visibility: "private" }, NOW)).toMatchObject({ ok: false, message: "only the room's owner may make it private or public" });
    expect(decide(s, who("mod"), { type: "role", user: m("y"), role: "moderator" }, NOW)).toMatchObject({ ok: false });
  });

  it("keeps private rooms to the invited, and bans out even the invited, until the ban runs out", () => {
    let s = apply(state(), who("own"), { type: "mode", visibility: "private" });
    expect(mayEnter(s, who("x"), "r", NOW)).toMatchObject({ code: "forbidden", message: "you may not join room r" });
    expect(mayEnter(s, who("x", { admin: true }), "r", NOW)).toBeNull();
    expect(mayEnter(s, who("mod"), "r", NOW)).toBeNull();
    s = apply(s, who("mod"), { type: "invite", user: m("x") });
    expect(mayEnter(s, who("x"), "r", NOW)).toBeNull();
    s = apply(s, who("mod"), { type: "ban", user: m("x"), seconds: 60 });
    expect(mayEnter(s, who("x"), "r", NOW)).toMatchObject({ code: "banned" });
    expect(s.roles.x).toBeUndefined();
    const later = NOW + 61_000;
    expect(mayEnter(s, who("x"), "r", later)).toMatchObject({ code: "forbidden" });
    // Expired entries go with the next change.
    expect(decide(s, who("own"), { type: "topic", text: "t" }, later)).toMatchObject({ ok: true, next: { bans: {} } });
  });

  it("refuses the muted, members of a moderated room, and slows members only", () => {
    let s = apply(state(), who("mod"), { type: "mute", user: m("x"), seconds: 30 });
    expect(mayPost(s, who("x"), "r", NOW)?.message).toBe("you are muted in room r for 30 more seconds");
    expect(mayPost(s, who("x"), "r", NOW + 30_000)).toBeNull();
    s = apply(s, who("mod"), { type: "mode", moderated: true, slowmode: 5 });
    expect(mayPost(s, who("y"), "r", NOW)).toMatchObject({ code: "forbidden" });
    expect(mayPost(s, who("mod"), "r", NOW)).toBeNull();
    expect([slowFor(s, who("y")), slowFor(s, who("mod")), slowFor(s, who("own"))]).toEqual([5, 0, 0]);
  });

  it("transfers ownership, keeping the old owner on as a moderator; answers no-ops with no new state", () => {
    const s = apply(state(), who("own"), { type: "role", user: m("x"), role: "owner" });
    expect([s.owner, roleOf(s, "own"), roleOf(s, "x")]).toEqual(["x", "moderator", "owner"]);
    expect(decide(s, who("x"), { type: "unban", user: m("nobody") }, NOW)).toMatchObject({ ok: true, next: null });
    expect(decide(s, who("x"), { type: "topic", text: "" }, NOW)).toMatchObject({ ok: true, next: null });
    expect(decide(s, who("x"), { type: "topic", text: "é".repeat(201) }, NOW)).toMatchObject({ ok: false, code: "invalid_message" });
  });

  it("takes user ids such as __proto__ and constructor as plain keys, kept and read back", () => {
    // A token's `sub` is anyone's choice: on a `{}` these ids read as inherited members.
    let s = apply(state(), who("own"), { type: "mode", visibility: "private" });
    for (const id of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect([id, mayEnter(s, who(id), "r", NOW)?.code]).toEqual([id, "forbidden"]);
      expect(roleOf(s, id)).toBe("member");
    }
    s = apply(s, who("own"), { type: "invite", user: m("constructor") });
    s = apply(s, who("own"), { type: "ban", user: m("__proto__") });
    s = apply(s, who("own"), { type: "role", user: m("toString"), role: "moderator" });
    const back = parseRoomState("r", JSON.stringify(s));
    for (const kept of [s, back]) {
      expect(mayEnter(kept, who("constructor"), "r", NOW)).toBeNull();
      expect(mayEnter(kept, who("__proto__"), "r", NOW)).toMatchObject({ code: "banned" });
      expect(roleOf(kept, "toString")).toBe("moderator");
      expect(mayEnter(kept, who("valueOf"), "r", NOW)).toMatchObject({ code: "forbidden" });
    }
    expect(Object.keys(back.bans)).toEqual(["__proto__"]);
    expect(() => parseRoomState("r", JSON.stringify(s).replace('"bans":{"__proto__":0}', '"bans":{"__proto__":"soon"}'))).toThrow("the kept state of room r is damaged");
  });

  it("says only what is not default, and calls a state plain when it names only its owner", () => {
    const s = newRoomState("own");
    expect(isPlain(s)).toBe(true);
    expect(roomInfo(s, "x", false)).toEqual({ roles: { own: "owner" } });
    expect(roomInfo(s, "own", false)).toEqual({ role: "owner", roles: { own: "owner" } });
    expect(roomInfo(null, "x", true)).toEqual({ role: "moderator" });
    const t = apply(state(), who("own"), { type: "mode", visibility: "private", slowmode: 9 });
    expect(isPlain(t)).toBe(false);
    expect(roomInfo(t, "mod", false)).toEqual({ role: "moderator", visibility: "private", modes: { slowmode: 9 }, roles: { own: "owner", mod: "moderator" } });
  });
});

describe("the client's room settings", () => {
  const users = (over: Partial<UsersFrame>): UsersFrame => ({ type: "users", room: "r", seq: 0, epoch: "e", count: 1, users: [], ...over });
  const record = (text: object, from = "alice"): MessageFrame => ({ type: "message", room: "r", seq: 1, id: "n-1", ts: NOW, from: m(from), kind: "room", text: JSON.stringify(text) });

  it("follows the room's changes, and words each for people", () => {
    let s = settingsOf(users({ roles: { a: "owner" }, topic: "old" }), "me");
    expect(s).toMatchObject({ topic: "old", role: "member", visibility: "public", admin: false });
    s = applyChange(s, { type: "role", user: m("me"), role: "moderator" }, "me");
    expect(s.role).toBe("moderator");
    s = applyChange(s, { type: "role", user: m("me"), role: "owner" }, "me");
    expect(s.roles).toEqual({ a: "moderator", me: "owner" });
    s = applyChange(s, { type: "mode", visibility: "private", slowmode: 60 }, "me");
    expect(s).toMatchObject({ visibility: "private", slowmode: 60, moderated: false });
    expect(settingsOf(users({ role: "moderator" }), "me").admin).toBe(true);
    expect(describeChange(record({ type: "ban", user: m("mallory"), seconds: 600, reason: "flooding" }))).toBe("alice banned mallory for 10 minutes (flooding)");
    expect(describeChange(record({ type: "mode", moderated: true, slowmode: 0 }))).toBe("alice let only moderators post, turned slowmode off");
    expect(describeChange(record({ type: "role", user: m("bob"), role: "owner" }))).toBe("alice gave the room to bob");
    expect(describeChange({ ...record({}), text: "not json" })).toBe("alice changed the room");
  });
});
