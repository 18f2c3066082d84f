// The SDK's rooms with owners (docs/rooms.md) and large rooms (docs/protocol.md, Large rooms)
// over real sockets: a typed method for each room action, the room's settings and roles kept
// from `users` frames and `room` messages, kicks and bans that take the room out of the rejoin
// set, join refusals, the public room list; in a large room, renames, member paging and the
// one-user look-up.
import { describe, expect, it } from "bun:test";
import { ErrorCode, describeChange } from "hubbub/client";
import type { Config } from "../src/config.ts";
import { TestClient, startServer } from "./helpers.ts";
import { evictConnection, gatedWebSocket, nextEvent, sdkClient } from "./sdk.ts";

const names = (users: { name: string }[]) => users.map((u) => u.name).sort();

describe("HubbubClient: rooms with owners", () => {
  it("keeps a room's settings and roles, from the join and from each change, and acts through typed methods", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using alice = await sdkClient(app, { name: "alice", rooms: ["den"] });
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den"] });
    expect(alice.settings("den")).toMatchObject({ role: "owner", roles: { [alice.id!]: "owner" }, visibility: "public", topic: "" });
    expect(bob.settings("den")).toMatchObject({ role: "member", roles: { [alice.id!]: "owner" } });

    const topic = nextEvent(bob, "settings", (e) => e.settings.topic === "plans");
    const line = nextEvent(bob, "message", (m) => m.kind === "room");
    await alice.setTopic("Den", "plans");
    expect((await topic).room).toBe("den");
    expect(describeChange(await line)).toBe("alice set the topic: plans");

    await alice.setMode("den", { moderated: true, slowmode: 30 });
    await expect(bob.send("may I?", "den")).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    const promoted = nextEvent(bob, "settings", (e) => e.settings.role === "moderator");
    await alice.setRole("den", "bob", "moderator");
    expect((await promoted).settings).toMatchObject({ moderated: true, slowmode: 30, roles: { [bob.id!]: "moderator" } });
    // A moderator may not act on the owner; a member's action is refused with its code.
    await expect(bob.kick("den", "alice")).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(bob.setMode("den", { visibility: "private" })).rejects.toMatchObject({ code: ErrorCode.Forbidden });
    await expect(alice.kick("den", "nobody")).rejects.toMatchObject({ code: ErrorCode.NoSuchUser });
    await alice.setMode("den", { moderated: false, slowmode: 0 });
    await bob.send("thanks", "den");

    // A later joiner reads the same settings from its join; the public list shows the topic.
    await using carol = await sdkClient(app, { name: "carol", rooms: ["den"] });
    expect(carol.settings("den")).toEqual({ ...bob.settings("den"), role: "member" });
    expect((await carol.list()).rooms).toContainEqual({ room: "den", count: 3, topic: "plans" });
    await alice.setMode("den", { visibility: "private" });
    expect((await carol.list()).rooms.map((r) => r.room)).not.toContain("den");
    expect(carol.settings("den").visibility).toBe("private");
  });

  it("drops a room it was kicked or banned from, says who did it, and does not rejoin it", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using alice = await sdkClient(app, { name: "alice", rooms: ["den"] });
    const gate = gatedWebSocket();
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den", "lobby"], WebSocket: gate.WebSocket });
    const kicked = nextEvent(bob, "removed");
    await alice.kick("den", "bob", "spam");
    expect(await kicked).toEqual({ room: "den", reason: "kicked", by: { id: alice.id!, name: "alice" } });
    expect(bob.rooms).toEqual(["lobby"]);
    // After a reconnect it stays out.
    const back = nextEvent(bob, "state", (s) => s.state === "connected");
    evictConnection(app, bob);
    await back;
    expect(bob.rooms).toEqual(["lobby"]);
    expect(names(alice.users("den"))).toEqual(["alice"]);

    await bob.join("den");
    const banned = nextEvent(bob, "removed");
    await alice.ban("den", "bob", { seconds: 600 });
    expect(await banned).toMatchObject({ room: "den", reason: "banned" });
    await expect(bob.join("den")).rejects.toMatchObject({ code: ErrorCode.Banned, message: "you are banned from room den" });
    expect(bob.rooms).toEqual(["lobby"]);
    await alice.unban("den", bob.id!);
    await bob.join("den");
    await alice.mute("den", "bob", { seconds: 60 });
    await expect(bob.send("hello?", "den")).rejects.toMatchObject({ code: ErrorCode.Muted });
    await alice.unmute("den", "bob");
    await bob.send("hello", "den");
  });

  it("drops its first room when the handshake's join is refused after a ban while away, and rejoins the rest", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using alice = await sdkClient(app, { name: "alice", rooms: ["den"] });
    const gate = gatedWebSocket();
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den", "lobby"], WebSocket: gate.WebSocket });
    gate.block();
    const away = nextEvent(bob, "state", (s) => s.state === "reconnecting");
    evictConnection(app, bob);
    await away;
    await alice.ban("den", bob.id!);
    const back = nextEvent(bob, "state", (s) => s.state === "connected");
    gate.unblock();
    await back;
    expect(bob.rooms).toEqual(["lobby"]);
    expect(bob.settings("den").role).toBe("member");
  });

  it("rejects a stranger's join of a private room with forbidden, and lets an invited user in", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice", rooms: ["vault"] });
    await alice.setMode("vault", { visibility: "private" });
    await using carol = await sdkClient(app, { name: "carol" });
    await expect(carol.join("vault")).rejects.toMatchObject({ code: ErrorCode.Forbidden, message: "you may not join room vault" });
    const told = nextEvent(carol, "notice", (n) => n.room === "vault");
    await alice.invite("vault", "carol");
    await told;
    expect(names(await carol.join("vault"))).toEqual(["alice", "carol"]);
    expect(carol.settings("vault")).toMatchObject({ visibility: "private", role: "member" });
  });
});

const TIERS: Partial<Config> = { presenceListMax: 4, largePresenceIntervalMs: 20, presenceIntervalMs: 5 };

describe("HubbubClient: a large room", () => {
  it("pages members in with loadMembers, applies renames to the entries it holds, and looks up one member", async () => {
    await using app = await startServer(TIERS);
    const crowd = await Promise.all(Array.from({ length: 104 }, (_, i) => TestClient.join(app, { name: `c${i}`, room: "hall" })));
    try {
      await using sdk = await sdkClient(app, { name: "sdk", rooms: ["hall"] });
      expect(sdk.roster("hall")).toMatchObject({ count: 105, large: true, more: true });
      expect(sdk.users("hall")).toHaveLength(100);
      // The sdk's own join changed the count, which the room hears within
      // LARGE_PRESENCE_INTERVAL_MS: that frame (one publish to every member) and a round trip
      // go first, so its roster event is not taken for loadMembers'.
      await crowd[0]!.next((f) => f.type === "presence" && f.room === "hall" && (f as { count?: number }).count === 105);
      await sdk.lookup("hall", { name: "c0" });
      const rosters: number[] = [];
      sdk.on("roster", (e) => rosters.push(e.users.length));
      expect(await sdk.loadMembers("hall")).toBe(false);
      expect(sdk.roster("hall")).toMatchObject({ count: 105, more: false });
      expect(sdk.users("hall")).toHaveLength(105);
      expect(rosters).toEqual([105]);
      expect(await sdk.loadMembers("hall")).toBe(false);

      // A rename comes as `renames`: the entry held is renamed, nobody is added.
      const renamer = crowd[7]!;
      const renamed = nextEvent(sdk, "roster", (e) => e.users.some((u) => u.name === "seven"));
      renamer.send({ type: "nick", name: "seven" });
      expect((await renamed).users).toHaveLength(105);
      expect(sdk.users("hall").find((u) => u.id === renamer.id)?.name).toBe("seven");

      expect(await sdk.lookup("hall", { name: "C50" })).toEqual({ id: crowd[50]!.id, name: "c50" });
      expect(await sdk.lookup("hall", { id: renamer.id })).toEqual({ id: renamer.id, name: "seven" });
      expect(await sdk.lookup("hall", { name: "nobody" })).toBeNull();
    } finally {
      await Promise.all(crowd.map((c) => c.close()));
    }
  }, 30_000);
});
