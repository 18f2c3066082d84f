// A room's members ordered by id, for paging (`who {after, limit}`) with a stable cursor. A
// sorted array of ids beside a map: a join or leave costs a binary search and one splice, a page
// a binary search and a slice. Pure data structure (the memory engine's presence keeps one per room).
import type { Member } from "./shared/protocol.ts";
import type { MemberPage } from "./engine/engine.ts";

export class MemberList {
  private readonly byId = new Map<string, Member>();
  private readonly ids: string[] = [];

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Member | undefined {
    return this.byId.get(id);
  }

  /** Adds or replaces a member; returns false when the same member (id and name) was there. */
  set(m: Member): boolean {
    const old = this.byId.get(m.id);
    if (old && old.name === m.name) return false;
    this.byId.set(m.id, m);
    if (!old) this.ids.splice(this.indexAfter(m.id, true), 0, m.id);
    return true;
  }

  /** Removes a member; the removed one, or undefined. */
  delete(id: string): Member | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    this.byId.delete(id);
    this.ids.splice(this.indexAfter(id, true), 1);
    return old;
  }

  /** Up to `limit` members with an id greater than `after`, ordered by id. */
  page(after: string | undefined, limit: number): MemberPage {
    const from = after === undefined ? 0 : this.indexAfter(after, false);
    const to = Math.min(this.ids.length, from + limit);
    const users: Member[] = [];
    for (let i = from; i < to; i++) users.push(this.byId.get(this.ids[i]!)!);
    const page: MemberPage = { count: this.ids.length, users };
    if (to < this.ids.length && users.length > 0) page.next = users[users.length - 1]!.id;
    return page;
  }

  /** The index of the first id >= `id` (inclusive) or > `id` (exclusive), by code-unit order. */
  private indexAfter(id: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.ids[mid]!;
      if (v < id || (!inclusive && v === id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
