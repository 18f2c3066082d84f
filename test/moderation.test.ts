// Rooms that belong to someone, over real sockets on both stores: owners, private rooms and
// invites, kicks, bans, mutes, moderated rooms, slowmode, the role rules, the stream's record of
// every change, the listing of public rooms, and the slash commands.
import { describe, expect, it } from "bun:test";
import type { Config } from "../src/config.ts";
import type { MessageFrame, ServerFrame } from "../src/shared/protocol.ts";
import { roomChange } from "../src/shared/roles.ts";
import { TestClient, eventually, startStoreServer, tempDir, type Joined } from "./helpers.ts";

type Client = TestClient & Joined;

for (const store of ["memory", "sqlite"] as const) {
  describe(`rooms with owners (STORE=${store})`, () => {
    const server = (over: Partial<Config> = {}, dir?: { path: string }) => startStoreServer(store, over, dir);
    const join = (app: { wsUrl: string }, name: string, room = "den") => TestClient.join(app as never, { name, room }) as Promise<Client>;

    it("makes the first member the owner, and tells every joiner the room's settings and roles", async () => {
      await using app = await server();
      await using alice = await TestClient.connect(app, { name: "alice", room: "den" });
      const welcome = await alice.next("welcome");
      expect(await alice.next("users")).toMatchObject({ room: "den", role: "owner", roles: { [welcome.id]: "owner" }, users: [{ id: welcome.id, name: "alice" }] });
      await using bob = await join(app, "bob");
      const answer = await bob.request({ type: "who", room: "den" });
      expect(answer).toMatchObject({ type: "users", roles: { [welcome.id]: "owner" } });
      expect((answer as { role?: string }).role).toBeUndefined();
      expect((answer as { visibility?: string }).visibility).toBeUndefined();
      // Owners set the topic; the room hears it as a `room` message, and later joiners see it.
      expect(await alice.request({ type: "topic", room: "den", text: "  plans for friday " })).toMatchObject({ type: "ok" });
      const record = (await bob.next((f) => f.type === "message" && f.kind === "room")) as MessageFrame;
      expect(record.from).toEqual({ id: welcome.id, name: "alice" });
      expect(roomChange(record.text)).toEqual({ type: "topic", text: "plans for friday" });
      await using carol = await TestClient.connect(app, { name: "carol", room: "den" });
      expect(await carol.next("users")).toMatchObject({ topic: "plans for friday" });
      // Members cannot.
      expect(await bob.request({ type: "topic", room: "den", text: "mine now" })).toMatchObject({ type: "error", code: "forbidden" });
      const tooLong = await alice.request({ type: "topic", room: "den", text: "x".repeat(201) });
      expect(tooLong).toMatchObject({ type: "error", code: "invalid_message" });
    });

    it("keeps strangers out of a private room, reveals nothing, and lets the invited in, after a restart too", async () => {
      const dir = tempDir();
      let app = await server({}, dir);
      try {
        const alice = await join(app, "alice", "vault");
        expect(await alice.request({ type: "mode", room: "vault", visibility: "private" })).toMatchObject({ type: "ok" });
        const bob = await join(app, "bob", "lobby");
        const refused = await bob.request({ type: "join", room: "vault" });
        expect(refused).toEqual({ type: "error", code: "forbidden", message: "you may not join room vault", ref: expect.any(String) });
        // History and members need membership: the same answer as for any room one is not in.
        expect(await bob.request({ type: "history", room: "vault" })).toMatchObject({ code: "not_in_room", message: "you are not in room vault" });
        expect(await bob.request({ type: "history", room: "nosuch" })).toMatchObject({ code: "not_in_room", message: "you are not in room nosuch" });
        // Not listed.
        const list = (await bob.request({ type: "list" })) as Extract<ServerFrame, { type: "list" }>;
        expect(list.rooms.map((r) => r.room)).toEqual(["lobby"]);
        expect(await alice.request({ type: "invite", room: "vault", user: "bob" })).toMatchObject({ type: "ok" });
        expect(await bob.next("notice")).toMatchObject({ room: "vault", text: "alice invited you to room vault" });
        expect(await bob.request({ type: "join", room: "vault" })).toMatchObject({ type: "users", visibility: "private" });
        await bob.close();
        await alice.close();
        if (store === "memory") return;
        // The invite, the owner and the visibility are kept with the room.
        await app.shutdown();
        app = await server({}, dir);
        // bob comes back as the same user (his resume token; the guest secret is kept in DATA_DIR).
        const bob2 = await TestClient.join(app, { resume: bob.resume!, room: "vault" });
        expect(bob2.log.find((f) => f.type === "users")).toMatchObject({ visibility: "private" });
        const eve = await join(app, "eve", "lobby");
        expect(await eve.request({ type: "join", room: "vault" })).toMatchObject({ code: "forbidden" });
        await bob2.close();
        await eve.close();
      } finally {
        await app.shutdown();
        dir[Symbol.dispose]();
      }
    });

    it("answers a guest's join of a room nobody made, with ANON_ROOMS=0, as it answers a stranger at a private room", async () => {
      await using app = await server({ anonRooms: false });
      const c = await TestClient.connect(app, { name: "guest1", room: "made-up" });
      expect(await c.next("error")).toEqual({ type: "error", code: "forbidden", message: "you may not join room made-up" });
      await c.close();
    });

    it("kicks: the user's connections leave at once with the reason, the room sees the leave, and a private room's invite is gone", async () => {
      await using app = await server();
      await using alice = await join(app, "alice");
      await using bob = await join(app, "bob");
      await using bob2 = (await TestClient.join(app, { resume: bob.resume!, room: "den" })) as Client;
      expect(await alice.request({ type: "kick", room: "den", user: "bob", reason: "spam" })).toMatchObject({ type: "ok" });
      for (const tab of [bob, bob2]) expect(await tab.next("left")).toEqual({ type: "left", room: "den", reason: "kicked", by: { id: alice.id, name: "alice" } });
      await alice.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === bob.id));
      expect(await bob.request({ type: "chat", text: "hi", room: "den" })).toMatchObject({ code: "not_in_room" });
      const record = (await alice.next((f) => f.type === "message" && f.kind === "room")) as MessageFrame;
      expect(roomChange(record.text)).toEqual({ type: "kick", user: { id: bob.id, name: "bob" }, reason: "spam" });
      // A public room: a kick is not a ban.
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ type: "users" });
      expect(await alice.request({ type: "mode", room: "den", visibility: "private" })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "invite", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "kick", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
      await bob.next("left");
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ code: "forbidden" });
      // Nobody to kick.
      expect(await alice.request({ type: "kick", room: "den", user: "nobody" })).toMatchObject({ code: "no_such_user" });
    });

    it("bans for good and for a while, by name or by id, and lifts bans", async () => {
      await using app = await server();
      await using alice = await join(app, "alice");
      await using bob = await join(app, "bob");
      expect(await alice.request({ type: "ban", room: "den", user: "bob", reason: "trolling" })).toMatchObject({ type: "ok" });
      expect(await bob.next("left")).toMatchObject({ reason: "banned", by: { name: "alice" } });
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ type: "error", code: "banned", message: "you are banned from room den" });
      expect(await alice.request({ type: "unban", room: "den", user: bob.id })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ type: "users" });
      // A timed ban runs out by itself.
      expect(await alice.request({ type: "ban", room: "den", user: "bob", seconds: 1 })).toMatchObject({ type: "ok" });
      const bannedBy = Date.now() + 1000;
      await bob.next("left");
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ code: "banned" });
      // Asking again and again would earn bob an abuse close: wait out the second, then ask once.
      await eventually(() => Date.now() > bannedBy, 4000, "the ban to run out");
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ type: "users" });
      // A user who is not connected is banned by id; their first join is refused.
      expect(await alice.request({ type: "ban", room: "den", user: "u-offline" })).toMatchObject({ type: "ok" });
      const record = (await alice.next((f) => f.type === "message" && f.kind === "room" && f.text.includes("u-offline"))) as MessageFrame;
      expect(roomChange(record.text)).toEqual({ type: "ban", user: { id: "u-offline", name: "u-offline" } });
    });

    it("mutes (for a while), moderated rooms and slowmode refuse posts with their codes; moderators are exempt", async () => {
      await using app = await server();
      await using alice = await join(app, "alice");
      await using bob = await join(app, "bob");
      expect(await alice.request({ type: "mute", room: "den", user: "bob", seconds: 1 })).toMatchObject({ type: "ok" });
      const mutedBy = Date.now() + 1000;
      const muted = await bob.request({ type: "chat", room: "den", text: "hello?" });
      expect(muted).toMatchObject({ type: "error", code: "muted" });
      expect((muted as { message: string }).message).toMatch(/muted in room den for 1 more seconds/);
      await eventually(() => Date.now() > mutedBy, 4000, "the mute to run out");
      expect(await bob.request({ type: "chat", room: "den", text: "back" })).toMatchObject({ type: "ack" });
      expect(await alice.request({ type: "mute", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", room: "den", text: "x" })).toMatchObject({ code: "muted", message: "you are muted in room den" });
      expect(await alice.request({ type: "unmute", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", room: "den", text: "x" })).toMatchObject({ type: "ack" });

      expect(await alice.request({ type: "mode", room: "den", moderated: true })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", room: "den", text: "x" })).toMatchObject({ code: "forbidden", message: "room den is moderated: only its moderators post" });
      expect(await alice.request({ type: "chat", room: "den", text: "announcement" })).toMatchObject({ type: "ack" });
      expect(await alice.request({ type: "role", room: "den", user: "bob", role: "moderator" })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", room: "den", text: "as a moderator" })).toMatchObject({ type: "ack" });
      expect(await alice.request({ type: "mode", room: "den", moderated: false, slowmode: 60 })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "role", room: "den", user: "bob", role: "member" })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", room: "den", text: "one" })).toMatchObject({ type: "ack" });
      const slow = await bob.request({ type: "chat", room: "den", text: "two" });
      expect(slow).toMatchObject({ type: "error", code: "slow_mode" });
      expect((slow as { message: string }).message).toMatch(/you may post again in (60|59) seconds/);
      expect(await alice.request({ type: "chat", room: "den", text: "owners are not slowed" })).toMatchObject({ type: "ack" });
      expect(await alice.request({ type: "chat", room: "den", text: "at all" })).toMatchObject({ type: "ack" });
      await using carol = await TestClient.connect(app, { name: "carol", room: "den" });
      expect(await carol.next("users")).toMatchObject({ modes: { slowmode: 60 } });
    });

    it("holds the role rules: members do nothing, moderators act only below them, owners hand the room on", async () => {
      await using app = await server();
      await using alice = await join(app, "alice");
      await using bob = await join(app, "bob");
      await using carol = await join(app, "carol");
      await using dave = await join(app, "dave");
      for (const f of [
        { type: "kick", user: "carol" },
        { type: "ban", user: "carol" },
        { type: "mute", user: "carol" },
        { type: "invite", user: "carol" },
        { type: "topic", text: "t" },
        { type: "mode", slowmode: 5 },
        { type: "role", user: "bob", role: "moderator" },
      ]) {
        expect(await bob.request({ ...f, room: "den" })).toMatchObject({ type: "error", code: "forbidden" });
      }
      await alice.request({ type: "role", room: "den", user: "bob", role: "moderator" });
      await alice.request({ type: "role", room: "den", user: "carol", role: "moderator" });
      expect(await bob.request({ type: "kick", room: "den", user: "alice" })).toMatchObject({ code: "forbidden", message: "alice has a role equal to or above yours" });
      expect(await bob.request({ type: "ban", room: "den", user: "carol" })).toMatchObject({ code: "forbidden" });
      expect(await bob.request({ type: "kick", room: "den", user: "bob" })).toMatchObject({ code: "forbidden", message: "you cannot do that to yourself" });
      expect(await bob.request({ type: "mode", room: "den", visibility: "private" })).toMatchObject({ code: "forbidden" });
      expect(await bob.request({ type: "role", room: "den", user: "dave", role: "moderator" })).toMatchObject({ code: "forbidden" });
      expect(await bob.request({ type: "mute", room: "den", user: "dave" })).toMatchObject({ type: "ok" });
      // Lifting a mute is acting on its holder: a muted moderator cannot lift its own, nor can its peers.
      expect(await alice.request({ type: "mute", room: "den", user: "carol" })).toMatchObject({ type: "ok" });
      expect(await carol.request({ type: "unmute", room: "den", user: "carol" })).toMatchObject({ code: "forbidden", message: "you cannot do that to yourself" });
      expect(await bob.request({ type: "unmute", room: "den", user: "carol" })).toMatchObject({ code: "forbidden" });
      expect(await alice.request({ type: "unmute", room: "den", user: "carol" })).toMatchObject({ type: "ok" });
      // Moderators delete anyone's message; nobody changes the room's record of its changes.
      const said = await alice.chat("owner's words", "den");
      expect(await bob.request({ type: "delete", room: "den", id: said.id })).toMatchObject({ type: "ok" });
      const record = (await carol.next((f) => f.type === "message" && f.kind === "room")) as MessageFrame;
      expect(await alice.request({ type: "edit", room: "den", id: record.id, text: "{}" })).toMatchObject({ code: "forbidden" });
      expect(await alice.request({ type: "delete", room: "den", id: record.id })).toMatchObject({ code: "forbidden" });
      expect(await dave.request({ type: "delete", room: "den", id: (await bob.chat("mine", "den")).id })).toMatchObject({ code: "forbidden" });
      // Ownership moves; the old owner stays a moderator.
      expect(await alice.request({ type: "role", room: "den", user: "carol", role: "owner" })).toMatchObject({ type: "ok" });
      const after = await dave.request({ type: "who", room: "den" });
      expect(after).toMatchObject({ roles: { [carol.id]: "owner", [alice.id]: "moderator", [bob.id]: "moderator" } });
      expect(await alice.request({ type: "kick", room: "den", user: "carol" })).toMatchObject({ code: "forbidden" });
      expect(await carol.request({ type: "role", room: "den", user: "alice", role: "member" })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "topic", room: "den", text: "x" })).toMatchObject({ code: "forbidden" });
    });

    it("lists the public rooms with counts and topics, page by page, and does the same through slash commands", async () => {
      await using app = await server();
      await using alice = await join(app, "alice", "alpha");
      await alice.request({ type: "join", room: "beta" });
      await alice.request({ type: "join", room: "gamma" });
      await using bob = await join(app, "bob", "beta");
      expect(await alice.request({ type: "chat", room: "beta", text: "/topic all about beta" })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "chat", room: "gamma", text: "/private" })).toMatchObject({ type: "ok" });
      expect(await bob.request({ type: "chat", text: "/list" })).toMatchObject({
        type: "list",
        rooms: [{ room: "alpha", count: 1 }, { room: "beta", count: 2, topic: "all about beta" }],
      });
      expect(await alice.request({ type: "chat", room: "beta", text: "/ban bob 10m flooding" })).toMatchObject({ type: "ok" });
      expect(await bob.next("left")).toMatchObject({ room: "beta", reason: "banned" });
      const record = (await alice.next((f) => f.type === "message" && f.kind === "room" && f.text.includes("ban"))) as MessageFrame;
      expect(roomChange(record.text)).toEqual({ type: "ban", user: { id: bob.id, name: "bob" }, seconds: 600, reason: "flooding" });
      expect(await alice.request({ type: "chat", room: "beta", text: "/slowmode 5m" })).toMatchObject({ type: "ok" });
      expect(await alice.request({ type: "chat", room: "beta", text: "/ban" })).toMatchObject({ code: "invalid_message", message: "usage: /ban <user> [duration] [reason]" });
      expect(await alice.request({ type: "chat", room: "beta", text: "/slowmode soon" })).toMatchObject({ code: "invalid_message" });
      const help = await alice.request({ type: "chat", text: "/help" });
      for (const cmd of ["/topic", "/invite", "/kick", "/ban", "/unban", "/mute", "/unmute", "/op", "/deop", "/private", "/public", "/moderated", "/slowmode", "/list"]) {
        expect((help as { text: string }).text).toContain(cmd);
      }
    });

    it("keeps the record of changes in history, so a late joiner reads who did what", async () => {
      await using app = await server();
      await using alice = await join(app, "alice");
      await alice.request({ type: "topic", room: "den", text: "one" });
      await alice.request({ type: "mode", room: "den", slowmode: 10 });
      await using bob = await join(app, "bob");
      const page = (await bob.request({ type: "history", room: "den" })) as Extract<ServerFrame, { type: "history" }>;
      const changes = page.messages.map((m) => (m.type === "message" && m.kind === "room" ? roomChange(m.text) : null));
      expect(changes).toEqual([{ type: "topic", text: "one" }, { type: "mode", slowmode: 10 }]);
    });
  });
}
