// A room's sessions on this node: a plain array while the room is small, a Set once it is large.
// Most rooms are small, and there a Set costs several times an array (a Set of 10 sessions holds
// ~650 B of JS heap against ~185 B; of 1, ~264 B against ~40 B), which every connection pays in
// the idle-memory target (docs/benchmarks.md). A large room needs the Set's O(1) delete: an
// array's indexOf would make a leave O(members). Order is not kept (nothing here needs it).
import type { Session } from "./session.ts";

/** Members past which a room's sessions move from the array to a Set (and stay there). */
export const LOCAL_MEMBERS_ARRAY_MAX = 32;

export class LocalMembers implements Iterable<Session> {
  private small: Session[] | null = [];
  private large: Set<Session> | null = null;

  get size(): number {
    return this.small ? this.small.length : this.large!.size;
  }

  /** Adds `s`; false when it was already here. */
  add(s: Session): boolean {
    if (this.large) {
      if (this.large.has(s)) return false;
      this.large.add(s);
      return true;
    }
    const small = this.small!;
    if (small.includes(s)) return false;
    if (small.length < LOCAL_MEMBERS_ARRAY_MAX) small.push(s);
    else {
      this.large = new Set(small).add(s);
      this.small = null;
    }
    return true;
  }

  /** Removes `s`; false when it was not here. */
  delete(s: Session): boolean {
    if (this.large) return this.large.delete(s);
    const small = this.small!;
    const i = small.indexOf(s);
    if (i < 0) return false;
    const last = small.pop()!;
    if (i < small.length) small[i] = last;
    return true;
  }

  /**
   * The sessions. Deleting while iterating may skip one of the small form's: callers only read
   * (removal from a room happens in a session's own queued disconnect, never inside a walk).
   */
  [Symbol.iterator](): Iterator<Session> {
    return this.small ? this.small[Symbol.iterator]() : this.large![Symbol.iterator]();
  }
}
