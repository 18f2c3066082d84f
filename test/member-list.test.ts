// MemberList against a plain model: after any sequence of sets and deletes, every page (any
// cursor, any limit) is the model's members sorted by id, and look-ups agree.
import { describe, expect, it } from "bun:test";
import { MemberList } from "../src/member-list.ts";
import type { Member } from "../src/shared/protocol.ts";

function modelPage(model: Map<string, Member>, after: string | undefined, limit: number) {
  const sorted = [...model.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rest = sorted.filter((m) => after === undefined || m.id > after);
  const users = rest.slice(0, Math.max(0, limit));
  return { count: model.size, users, ...(rest.length > users.length && users.length > 0 ? { next: users[users.length - 1]!.id } : {}) };
}

describe("MemberList", () => {
  it("pages, looks up and reports changes as a sorted map would, over random joins, renames and leaves", () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const list = new MemberList();
    const model = new Map<string, Member>();
    for (let step = 0; step < 3000; step++) {
      const id = `u${rand(60).toString(36)}`;
      if (rand(3) === 0) {
        expect(list.delete(id)).toBe(model.get(id));
        model.delete(id);
      } else {
        const m = { id, name: `n${rand(3)}` };
        const same = model.get(id)?.name === m.name;
        expect(list.set(m)).toBe(!same);
        if (!same) model.set(id, m);
      }
      expect(list.size).toBe(model.size);
      expect(list.get(id)).toBe(model.get(id));
      const after = rand(4) === 0 ? undefined : `u${rand(60).toString(36)}`;
      const limit = rand(12) - 1;
      expect(list.page(after, limit)).toEqual(modelPage(model, after, limit));
    }
  });
});
