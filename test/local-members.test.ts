// LocalMembers, small and large: adds and deletes report what changed, and the members listed are
// exactly those added and not deleted, across the move from the array to the Set.
import { describe, expect, it } from "bun:test";
import { LOCAL_MEMBERS_ARRAY_MAX, LocalMembers } from "../src/local-members.ts";
import { Session } from "../src/session.ts";
import { handshake, policy } from "./fakes.ts";

describe("LocalMembers", () => {
  it("keeps exactly the sessions added and not deleted, below and past the array's limit", () => {
    const sessions = Array.from({ length: LOCAL_MEMBERS_ARRAY_MAX * 3 }, (_, i) => new Session(`c${i}`, handshake(), policy()));
    const members = new LocalMembers();
    const model = new Set<Session>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 2000; step++) {
      // Grows towards the large form in the first half, shrinks in the second.
      const s = sessions[rand(step < 1000 ? sessions.length : LOCAL_MEMBERS_ARRAY_MAX)]!;
      if (rand(step < 1000 ? 4 : 2) === 0) {
        expect(members.delete(s)).toBe(model.delete(s));
      } else {
        expect(members.add(s)).toBe(!model.has(s));
        model.add(s);
      }
      expect(members.size).toBe(model.size);
      expect(new Set(members)).toEqual(model);
    }
  });
});
