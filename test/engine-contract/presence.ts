// The PresenceStore part of the Engine contract: a room's members across the cluster (join, leave,
// rename, pages by id, one member) and the rooms that have members.
import { describe, expect, it } from "bun:test";
import type { Member } from "../../src/shared/protocol.ts";
import { alice, bob, type EngineFactory, start } from "./fixtures.ts";

export function presenceContract(name: string, create: EngineFactory): void {
  describe(`PresenceStore contract: ${name}`, () => {
    it("reports joins, leaves and a rename (a join of a present id with a new name) as presence", async () => {
      await using n = await start(create);
      await n.engine.presence.join("p", alice);
      await n.engine.presence.join("p", alice);
      await n.engine.presence.join("p", bob);
      await n.engine.presence.leave("p", bob);
      await n.engine.presence.leave("p", bob);
      await n.engine.presence.join("p", { id: alice.id, name: "alicia" });
      await n.sink.presenceWhere((p) => p.joins.some((m) => m.name === "alicia"), "the rename's join");
      expect(n.sink.changes("p")).toEqual(["+alice", "+bob", "-bob", "+alicia"]);
      expect(await n.engine.presence.page("p", undefined, 10)).toEqual({ count: 1, users: [{ id: alice.id, name: "alicia" }] });
      await n.engine.presence.leave("p", alice);
      await n.sink.presenceWhere((p) => p.leaves.some((m) => m.id === alice.id), "alice's leave");
      expect(n.sink.changes("p")).toEqual(["+alice", "+bob", "-bob", "+alicia", "-alicia"]);
      expect(await n.engine.presence.page("p", undefined, 10)).toEqual({ count: 0, users: [] });
    });

    it("pages members ordered by id (code units), after an exclusive cursor, with the full count", async () => {
      await using n = await start(create);
      // Upper case sorts before lower case, a prefix before its extensions, non-ASCII last.
      const ids = ["b", "a", "ab", "B", "é", "a0", "Z", "aa"];
      for (const id of ids) await n.engine.presence.join("who", { id, name: `n-${id}` });
      const sorted = ["B", "Z", "a", "a0", "aa", "ab", "b", "é"];
      const m = (id: string): Member => ({ id, name: `n-${id}` });
      expect(await n.engine.presence.page("who", undefined, 3)).toEqual({ count: 8, users: sorted.slice(0, 3).map(m), next: "a" });
      expect(await n.engine.presence.page("who", "a", 3)).toEqual({ count: 8, users: sorted.slice(3, 6).map(m), next: "ab" });
      expect(await n.engine.presence.page("who", "ab", 3)).toEqual({ count: 8, users: sorted.slice(6).map(m) });
      expect(await n.engine.presence.page("who", undefined, 8)).toEqual({ count: 8, users: sorted.map(m) });
      // A cursor that is nobody's id: the members above it.
      expect(await n.engine.presence.page("who", "a1", 2)).toEqual({ count: 8, users: ["aa", "ab"].map(m), next: "ab" });
      expect(await n.engine.presence.page("who", "é", 3)).toEqual({ count: 8, users: [] });
      expect(await n.engine.presence.page("nobody-here", undefined, 3)).toEqual({ count: 0, users: [] });
      await n.engine.presence.leave("who", m("a0"));
      expect(await n.engine.presence.page("who", "a", 2)).toEqual({ count: 7, users: ["aa", "ab"].map(m), next: "ab" });
    });

    it("finds one member by id, with the room's count, and finds nobody who is not in it", async () => {
      await using n = await start(create);
      await n.engine.presence.join("f", alice);
      await n.engine.presence.join("f", { id: bob.id, name: "bobby" });
      expect(await n.engine.presence.find("f", bob.id)).toEqual({ count: 2, users: [{ id: bob.id, name: "bobby" }] });
      expect(await n.engine.presence.find("f", "nobody")).toEqual({ count: 2, users: [] });
      expect(await n.engine.presence.find("empty", alice.id)).toEqual({ count: 0, users: [] });
    });

    it("lists the rooms that have members, by name, paged, with counts; an emptied room drops out", async () => {
      await using n = await start(create);
      for (const room of ["rc", "ra", "rb", "rd"]) await n.engine.presence.join(room, alice);
      await n.engine.presence.join("rb", bob);
      expect(await n.engine.presence.rooms(undefined, 10)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 2 }, { room: "rc", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms(undefined, 2)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 2 }], next: "rb" });
      expect(await n.engine.presence.rooms("rb", 2)).toEqual({ rooms: [{ room: "rc", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms("rd", 2)).toEqual({ rooms: [] });
      await n.engine.presence.leave("rc", alice);
      await n.engine.presence.leave("rb", alice);
      expect(await n.engine.presence.rooms(undefined, 10)).toEqual({ rooms: [{ room: "ra", count: 1 }, { room: "rb", count: 1 }, { room: "rd", count: 1 }] });
      expect(await n.engine.presence.rooms("ra", 1)).toEqual({ rooms: [{ room: "rb", count: 1 }], next: "rb" });
    });

    it("names the origin node of each presence change", async () => {
      await using n = await start(create);
      await n.engine.presence.join("o", alice);
      await n.engine.presence.leave("o", alice);
      await n.sink.presenceWhere((p) => p.room === "o" && p.leaves.length > 0, "the leave");
      expect(n.sink.presences.filter((p) => p.room === "o").map((p) => p.origin)).toEqual([n.engine.nodeId, n.engine.nodeId]);
    });
  });
}
