// Idle checks on a timing wheel: each connection is looked at when it could first have gone
// silent too long (half IDLE_TIMEOUT_S after it was last heard from, when it is pinged, then at
// the timeout), not on every sweep. With 19,000 mostly idle connections the sweep used to walk
// them all ten times a second; now a tick costs only the connections due in it. Bun's own idle
// timer cannot do this job: it is re-armed by every send, so in a busy room a vanished peer would
// never be reaped.
//
// A slot is an array, and each connection knows its place in it (Session.idleSlot/idleIndex), so
// removing one is a swap with the last: 8 bytes per connection where a Set entry cost ~85 (JS
// heap per admitted connection, measured in process; docs/benchmarks.md's memory target).
import type { Session } from "./session.ts";

/**
 * What to do with a due connection: look again at the returned time (ms), or null to forget it
 * (closed, or evicted now).
 */
export type IdleCheck = (s: Session, now: number) => number | null;

export class IdleWheel {
  /** Slot (time / tickMs, rounded up) → the connections due then, in no particular order. */
  private readonly slots = new Map<number, Session[]>();
  /** The last slot processed. */
  private done: number;

  constructor(
    private readonly tickMs: number,
    private readonly check: IdleCheck,
    now = Date.now(),
  ) {
    this.done = Math.floor(now / tickMs);
  }

  /** Schedules a look at `s` at time `at` (ms); replaces any earlier schedule. */
  schedule(s: Session, at: number): void {
    this.remove(s);
    const slot = Math.max(this.done + 1, Math.ceil(at / this.tickMs));
    let list = this.slots.get(slot);
    if (!list) this.slots.set(slot, (list = []));
    s.parkIdleCheck(slot, list.length);
    list.push(s);
  }

  remove(s: Session): void {
    const slot = s.idleSlot;
    if (slot < 0) return;
    const i = s.idleIndex;
    s.parkIdleCheck(-1, -1);
    const list = this.slots.get(slot);
    if (list?.[i] !== s) return;
    const last = list.pop()!;
    if (last !== s) {
      list[i] = last;
      last.parkIdleCheck(slot, i);
    }
    if (list.length === 0) this.slots.delete(slot);
  }

  /** Runs the checks of every slot up to `now`. */
  advance(now: number): void {
    const upTo = Math.floor(now / this.tickMs);
    // A clock jump (or a test far in the future) walks only the slots that hold anything.
    if (upTo - this.done > this.slots.size) {
      for (const slot of [...this.slots.keys()].filter((k) => k <= upTo).sort((a, b) => a - b)) this.run(slot, now);
    } else {
      for (let slot = this.done + 1; slot <= upTo; slot++) this.run(slot, now);
    }
    this.done = Math.max(this.done, upTo);
  }

  private run(slot: number, now: number): void {
    const list = this.slots.get(slot);
    if (!list) return;
    this.slots.delete(slot);
    for (const s of list) {
      // Removed meanwhile (only synchronous code runs here, but a check may evict).
      if (s.idleSlot !== slot) continue;
      s.parkIdleCheck(-1, -1);
      const next = this.check(s, now);
      if (next !== null) this.schedule(s, next);
    }
  }

  /** Connections scheduled (tests, metrics). */
  get size(): number {
    let n = 0;
    for (const list of this.slots.values()) n += list.length;
    return n;
  }
}
