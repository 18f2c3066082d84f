// The NameRegistry part of the Engine contract: cluster-wide unique names, claimed atomically,
// released only by their holder, and who a connected user is by id.
import { describe, expect, it } from "bun:test";
import { alice, bob, type EngineFactory, range, start } from "./fixtures.ts";

export function namesContract(name: string, create: EngineFactory): void {
  describe(`NameRegistry contract: ${name}`, () => {
    it("claims names atomically: one holder per key, re-claimable by the holder", async () => {
      await using n = await start(create);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      expect(await n.engine.names.claim("alice", bob)).toBe(false);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      expect(await n.engine.names.lookup("alice")).toEqual(alice);
      const contenders = range(0, 9).map((i) => ({ id: `c${i}`, name: "hot" }));
      const won = await Promise.all(contenders.map((m) => n.engine.names.claim("hot", m)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await n.engine.names.lookup("hot")).toEqual(contenders[won.indexOf(true)]!);
    });

    it("releases a name only for its holder, and looks up nobody for a free name", async () => {
      await using n = await start(create);
      expect(await n.engine.names.lookup("alice")).toBeNull();
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.claim("alice", alice)).toBe(true);
      await n.engine.names.release("alice", bob.id);
      expect(await n.engine.names.lookup("alice")).toEqual(alice);
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.lookup("alice")).toBeNull();
      expect(await n.engine.names.claim("alice", bob)).toBe(true);
      expect(await n.engine.names.lookup("alice")).toEqual(bob);
    });

    it("looks a connected user up by id: its current name, through a rename, until released", async () => {
      await using n = await start(create);
      expect(await n.engine.names.lookupUser(alice.id)).toBeNull();
      await n.engine.names.claim("alice", alice);
      expect(await n.engine.names.lookupUser(alice.id)).toEqual(alice);
      const renamed = { id: alice.id, name: "alicia" };
      await n.engine.names.claim("alicia", renamed);
      await n.engine.names.release("alice", alice.id);
      expect(await n.engine.names.lookupUser(alice.id)).toEqual(renamed);
      await n.engine.names.release("alicia", alice.id);
      expect(await n.engine.names.lookupUser(alice.id)).toBeNull();
      expect(await n.engine.names.lookupUser(bob.id)).toBeNull();
    });
  });
}
