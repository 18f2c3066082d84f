// The server API's room state and moderation over real HTTP, on both stores: the server acts
// above every owner, each change reaches the room as a `room` message from `system`, refusals
// and bad bodies have their statuses, and the listing shows private rooms with their visibility.
import { describe, expect, it } from "bun:test";
import type { Config } from "../src/config.ts";
import { ROUTES, API_PREFIX } from "../src/http/api/index.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { roomChange } from "../src/shared/roles.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, startStoreServer } from "./helpers.ts";

const SYSTEM = { id: "~system", name: "system" };
const isRoomChange = (f: { type: string; kind?: string }) => f.type === "message" && f.kind === "room";

for (const store of ["memory", "sqlite"] as const) {
  describe(`server API: room moderation (STORE=${store})`, () => {
    const server = (over: Partial<Config> = {}) => startStoreServer(store, { apiKey: [API_KEY], ...over });

    it("reads a room's state: an unused room is public and unowned, a joined one has its first member as owner", async () => {
      await using app = await server();
      const empty = await api(app, "GET", "/rooms/never-used");
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ room: "never-used", owner: null, topic: "", visibility: "public", moderated: false, slowmode: 0, moderators: [], invited: [], bans: [], mutes: [] });
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      expect((await api(app, "GET", "/rooms/DEN")).body).toMatchObject({ room: "den", owner: alice.id });
      expect(await api(app, "GET", "/rooms/Not%20a%20room")).toMatchObject({ status: 400, body: { error: { code: ErrorCode.InvalidRoom } } });
    });

    it("acts as the server, above the owner: topic, modes, roles, kick and ban of the owner; each change is recorded from system", async () => {
      await using app = await server();
      await using alice = await TestClient.join(app, { name: "alice", room: "den" });
      await using bob = await TestClient.join(app, { name: "bob", room: "den" });
      const topic = await api(app, "POST", "/rooms/den/topic", { text: " release day " });
      expect(topic.status).toBe(200);
      expect(topic.body).toMatchObject({ changed: true, state: { room: "den", owner: alice.id, topic: "release day" } });
      const record = (await bob.next(isRoomChange)) as MessageFrame;
      expect(record.from).toEqual(SYSTEM);
      expect(roomChange(record.text)).toEqual({ type: "topic", text: "release day" });
      // Setting what is already set changes nothing, and records nothing.
      expect((await api(app, "POST", "/rooms/den/topic", { text: "release day" })).body.changed).toBe(false);

      const mode = await api(app, "POST", "/rooms/den/mode", { moderated: true, slowmode: 30 });
      expect(mode.body.state).toMatchObject({ moderated: true, slowmode: 30 });
      expect(await bob.request({ type: "chat", room: "den", text: "hi" })).toMatchObject({ code: ErrorCode.Forbidden });
      expect((await api(app, "POST", "/rooms/den/role", { user: "bob", role: "moderator" })).body.state.moderators).toEqual([bob.id]);
      // The server hands the room over, and may act on its owner: nobody outranks it.
      const handed = await api(app, "POST", "/rooms/den/role", { user: bob.id, role: "owner" });
      expect(handed.body.state).toMatchObject({ owner: bob.id, moderators: [alice.id] });
      expect((await api(app, "POST", "/rooms/den/kick", { user: "bob", reason: "nap time" })).status).toBe(200);
      expect(await bob.next("left")).toEqual({ type: "left", room: "den", reason: "kicked", by: SYSTEM });
      const ban = await api(app, "POST", "/rooms/den/ban", { user: "bob", seconds: 600, reason: "spam" });
      expect(ban.body.state.bans).toEqual([{ user: bob.id, until: expect.any(Number) }]);
      expect(ban.body.state.bans[0].until).toBeGreaterThan(Date.now() + 590_000);
      expect(await bob.request({ type: "join", room: "den" })).toMatchObject({ code: ErrorCode.Banned });
      expect((await api(app, "POST", "/rooms/den/unban", { user: bob.id })).body).toMatchObject({ changed: true, state: { bans: [] } });
      expect((await api(app, "POST", "/rooms/den/unban", { user: bob.id })).body.changed).toBe(false);
      await alice.sync();
      const changes = alice.all("message").filter(isRoomChange);
      expect(changes.every((m) => m.from.id === SYSTEM.id)).toBe(true);
      expect(changes.map((m) => roomChange(m.text)?.type)).toEqual(["topic", "mode", "role", "role", "kick", "ban", "unban"]);
    });

    it("mutes and unmutes, by name or id, a user who is connected or not", async () => {
      await using app = await server();
      await using bob = await TestClient.join(app, { name: "bob", room: "den" });
      expect((await api(app, "POST", "/rooms/den/mute", { user: "bob" })).body.state.mutes).toEqual([{ user: bob.id }]);
      expect(await bob.request({ type: "chat", room: "den", text: "hello?" })).toMatchObject({ code: ErrorCode.Muted });
      await api(app, "POST", "/rooms/den/unmute", { user: bob.id });
      expect(await bob.request({ type: "chat", room: "den", text: "back" })).toMatchObject({ type: "ack" });
      const offline = await api(app, "POST", "/rooms/den/mute", { user: "u-offline", seconds: 60 });
      expect(offline.body.state.mutes).toEqual([{ user: "u-offline", until: expect.any(Number) }]);
    });

    it("makes a private room nobody joined yet, invites into it, and lists it (with its visibility) where users never see it", async () => {
      await using app = await server();
      await using alice = await TestClient.join(app, { name: "alice", room: "lobby" });
      await using eve = await TestClient.join(app, { name: "eve", room: "lobby" });
      const made = await api(app, "POST", "/rooms/vault/mode", { visibility: "private" });
      expect(made.body).toMatchObject({ changed: true, state: { owner: null, visibility: "private" } });
      const invited = await api(app, "POST", "/rooms/vault/invite", { user: "alice" });
      expect(invited.body.state.invited).toEqual([alice.id]);
      expect(await alice.next("notice")).toMatchObject({ room: "vault", text: "system invited you to room vault" });
      expect(await eve.request({ type: "join", room: "vault" })).toMatchObject({ code: ErrorCode.Forbidden, message: "you may not join room vault" });
      // The invited joins; being the first member of a room the server made does not make her its owner.
      expect(await alice.request({ type: "join", room: "vault" })).toMatchObject({ type: "users", visibility: "private" });
      expect((await api(app, "GET", "/rooms/vault")).body.owner).toBeNull();
      await api(app, "POST", "/rooms/lobby/topic", { text: "say hi" });
      expect((await api(app, "GET", "/rooms")).body).toEqual({
        rooms: [{ room: "lobby", count: 2, visibility: "public", topic: "say hi" }, { room: "vault", count: 1, visibility: "private" }],
      });
      const list = await eve.request({ type: "list" });
      expect(list).toMatchObject({ type: "list", rooms: [{ room: "lobby", count: 2, topic: "say hi" }] });
    });

    it("answers each bad request with its status and code", async () => {
      await using app = await server();
      await using bob = await TestClient.join(app, { name: "bob", room: "den" });
      const cases: [string, unknown, { raw?: string }, number, string][] = [
        ["/rooms/den/topic", undefined, { raw: "{nope" }, 400, ErrorCode.InvalidJson],
        ["/rooms/den/topic", {}, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/topic", { text: 7 }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/topic", { text: "x".repeat(201) }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/topic", { text: "hi", room: "other" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/Bad%20Room/topic", { text: "hi" }, {}, 400, ErrorCode.InvalidRoom],
        ["/rooms/den/kick", { user: "nobody" }, {}, 404, ErrorCode.NoSuchUser],
        ["/rooms/den/kick", { user: "" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/kick", { user: "bob", reason: "x".repeat(201) }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/ban", { user: "bob", seconds: 0 }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/ban", { user: "bob", seconds: 1.5 }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/ban", { user: "bob", seconds: "600" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/mute", { user: "bob", reason: "no reasons for mutes" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/role", { user: "bob", role: "admin" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/role", { user: "bob" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/mode", {}, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/mode", { slowmode: -1 }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/mode", { visibility: "secret" }, {}, 400, ErrorCode.InvalidMessage],
        ["/rooms/den/mode", { moderated: "yes" }, {}, 400, ErrorCode.InvalidMessage],
      ];
      for (const [path, body, opts, status, code] of cases) {
        const r = await api(app, "POST", path, body, opts);
        expect([path, JSON.stringify(body), r.status, r.body?.error?.code]).toEqual([path, JSON.stringify(body), status, code]);
      }
      // Nothing of it changed the room.
      expect((await api(app, "GET", "/rooms/den")).body).toMatchObject({ topic: "", bans: [], mutes: [], moderators: [], owner: bob.id });
      expect((await api(app, "GET", "/rooms/den/kick")).status).toBe(405);
    });
  });
}

describe("docs/api.md", () => {
  it("documents every route", async () => {
    const doc = await Bun.file(`${import.meta.dir}/../docs/api.md`).text();
    // As a heading or a table cell: `METHOD /path` or `METHOD /path?query`.
    const missing = ROUTES.map((r) => `${r.method} ${r.path}`).filter((r) => !doc.includes(`\`${r}\``) && !doc.includes(`\`${r}?`));
    expect(missing).toEqual([]);
    expect(API_PREFIX).toBe("/api/v1");
  });
});
