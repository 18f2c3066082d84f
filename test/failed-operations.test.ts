// An operation the engine fails halfway is undone before the client is told: a failed join
// leaves no membership or subscription behind, and a failed rename leaves the old name in every
// room and the new one unclaimed. The engine is the real MemoryEngine with presence.join made to
// fail for chosen rooms, both ways an engine may fail: a synchronous throw (an engine that
// answers synchronously) and a rejected promise (one that awaits, like Redis).
import { describe, expect, it } from "bun:test";
import type { MemberPage, PresenceStore } from "../src/engine/engine.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { nameKey } from "../src/names.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import type { Member, ServerFrame } from "../src/shared/protocol.ts";
import type { App } from "../src/server.ts";
import { TestClient, startServer, userView } from "./helpers.ts";

type Failure = "throws" | "rejects";

/** The rooms for which presence.join fails, the way `how` says. */
function failJoinsIn(engine: MemoryEngine, how: Failure): Set<string> {
  const failing = new Set<string>();
  const store: PresenceStore = engine.presence;
  const join = store.join.bind(store);
  store.join = (room, member) => {
    if (!failing.has(room)) return join(room, member);
    const err = new Error(`injected: presence.join(${room}) failed`);
    if (how === "throws") throw err;
    return Promise.reject(err);
  };
  return failing;
}

const refIs = (ref: string) => (f: ServerFrame) => (f as { ref?: unknown }).ref === ref;

async function joinRoom(c: TestClient, room: string): Promise<void> {
  c.send({ type: "join", room, ref: `join-${room}` });
  await c.next((f) => f.type === "users" && f.ref === `join-${room}`);
}

async function who(c: TestClient, room: string): Promise<Member[]> {
  const ref = `who-${room}-${Math.random()}`;
  c.send({ type: "who", room, ref });
  return ((await c.next((f) => f.type === "users" && f.ref === ref)) as { users: Member[] }).users;
}

const members = async (app: App, room: string) => ((await app.engine.presence.page(room, undefined, 1000)) as MemberPage).users;

describe("operations that fail halfway", () => {
  for (const how of ["throws", "rejects"] as const) {
    it(`a join whose presence.join ${how} answers unavailable and leaves the session out of the room`, async () => {
      const engine = new MemoryEngine({ historySize: 10 });
      const failing = failJoinsIn(engine, how);
      await using app = await startServer({}, { engine });
      await using member = await TestClient.join(app, { name: "member" });
      await joinRoom(member, "broken");
      failing.add("broken");
      await using victim = await TestClient.join(app, { name: "victim" });

      victim.send({ type: "join", room: "broken", ref: "j1" });
      expect(await victim.next(refIs("j1"))).toMatchObject({ type: "error", code: ErrorCode.Unavailable, ref: "j1" });
      const s = app.hub.sessionsOf(victim.id)[0]!;
      expect(s.rooms).toEqual(["lobby"]);
      expect(app.hub.localMembers("broken")).toBe(1);
      expect((await members(app, "broken")).map((m) => m.name)).toEqual(["member"]);
      expect((await who(member, "broken")).map((m) => m.name)).toEqual(["member"]);
      // Not subscribed: a message published there after the failure does not reach it.
      await member.chat("anyone there?", "broken");
      await victim.sync();
      expect(victim.all("message").filter((m) => m.room === "broken")).toEqual([]);
      victim.send({ type: "history", room: "broken", ref: "h1" });
      expect(await victim.next(refIs("h1"))).toMatchObject({ type: "error", code: ErrorCode.NotInRoom });

      // Once the engine recovers, the same join works from scratch.
      failing.delete("broken");
      await joinRoom(victim, "broken");
      expect((await who(member, "broken")).map((m) => m.name).sort()).toEqual(["member", "victim"]);
    });

    it(`a rename whose presence.join ${how} in its second room keeps the old name everywhere and frees the new one`, async () => {
      const engine = new MemoryEngine({ historySize: 10 });
      const failing = failJoinsIn(engine, how);
      await using app = await startServer({ presenceIntervalMs: 10 }, { engine });
      await using victim = await TestClient.join(app, { name: "old", room: "a" });
      await joinRoom(victim, "b");
      await using observer = await TestClient.join(app, { name: "observer", room: "a" });
      await joinRoom(observer, "b");
      // The rename reaches "a" first (the session's join order), then fails in "b".
      failing.add("b");

      victim.send({ type: "nick", name: "new", ref: "n1" });
      expect(await victim.next(refIs("n1"))).toMatchObject({ type: "error", code: ErrorCode.Unavailable, ref: "n1" });
      expect(victim.all("identity")).toEqual([]);
      expect(engine.names.lookup(nameKey("old"))?.id).toBe(victim.id);
      expect(engine.names.lookup(nameKey("new"))).toBeNull();
      const s = app.hub.sessionsOf(victim.id)[0]!;
      expect(s.name).toBe("old");
      for (const room of ["a", "b"]) {
        expect((await members(app, room)).find((m) => m.id === victim.id)?.name).toBe("old");
      }
      // What the other members are told adds up to the old name too, once presence is out.
      app.hub.flushPresence();
      await observer.sync();
      for (const room of ["a", "b"]) expect(userView(observer, room).get(victim.id)).toBe("old");
      for (const room of ["a", "b"]) expect((await who(observer, room)).find((m) => m.id === victim.id)?.name).toBe("old");
      // The victim still speaks as "old", and "new" is free for anyone.
      await victim.chat("still me", "a");
      const said = await observer.next((f) => f.type === "message" && f.text === "still me");
      expect(said).toMatchObject({ from: { id: victim.id, name: "old" } });
      await using other = await TestClient.join(app, { name: "new" });
      expect(other.name).toBe("new");
    });

    it(`a rename to another spelling of the same name whose presence.join ${how} keeps the name held`, async () => {
      const engine = new MemoryEngine({ historySize: 10 });
      const failing = failJoinsIn(engine, how);
      await using app = await startServer({}, { engine });
      await using victim = await TestClient.join(app, { name: "old", room: "a" });
      await joinRoom(victim, "b");
      failing.add("b");
      // "OLD" has the key of "old": the claim is the user's own, and undoing it must not free it.
      victim.send({ type: "nick", name: "OLD", ref: "n1" });
      expect(await victim.next(refIs("n1"))).toMatchObject({ type: "error", code: ErrorCode.Unavailable });
      expect(engine.names.lookup(nameKey("old"))).toEqual({ id: victim.id, name: "old" });
      const impostor = await TestClient.connect(app, { name: "old" });
      expect(await impostor.next("error")).toMatchObject({ code: ErrorCode.NameTaken });
      await impostor.closed;
    });
  }
});
