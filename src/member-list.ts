// A room's members ordered by id, for paging (`who {after, limit}`) with a stable cursor. One
// sorted array of the members themselves: a join or leave costs a binary search and one splice,
// a look-up a binary search, a page a binary search and a slice. No id → member map beside it:
// that was a hash-table entry per member of every room (~65 B of JS heap per connection, the
// idle-memory target in docs/benchmarks.md). Pure data structure (the memory engine's presence
// keeps one per room).
import type { Member } from "./shared/protocol.ts";
import type { MemberPage } from "./engine/engine.ts";

export class MemberList {
  /** Ordered by id, by code-unit order; ids are unique. */
  private readonly members: Member[] = [];

  get size(): number {
    return this.members.length;
  }

  get(id: string): Member | undefined {
    const m = this.members[this.indexAfter(id, true)];
    return m?.id === id ? m : undefined;
  }

  /** Adds or replaces a member; returns false when the same member (id and name) was there. */
  set(m: Member): boolean {
    const i = this.indexAfter(m.id, true);
    const old = this.members[i];
    if (old?.id !== m.id) {
      this.members.splice(i, 0, m);
      return true;
    }
    if (old.name === m.name) return false;
    this.members[i] = m;
    return true;
  }

  /** Removes a member; the removed one, or undefined. */
  delete(id: string): Member | undefined {
    const i = this.indexAfter(id, true);
    const old = this.members[i];
    if (old?.id !== id) return undefined;
    this.members.splice(i, 1);
    return old;
  }

  /** Up to `limit` members with an id greater than `after`, ordered by id. */
  page(after: string | undefined, limit: number): MemberPage {
    const from = after === undefined ? 0 : this.indexAfter(after, false);
    const to = Math.min(this.members.length, from + Math.max(0, limit));
    const users = this.members.slice(from, to);
    const page: MemberPage = { count: this.members.length, users };
    if (to < this.members.length && users.length > 0) page.next = users[users.length - 1]!.id;
    return page;
  }

  /** The index of the first member whose id is >= `id` (inclusive) or > `id` (exclusive). */
  private indexAfter(id: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.members[mid]!.id;
      if (v < id || (!inclusive && v === id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
