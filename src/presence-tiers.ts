// Presence tiers. A room with more than PRESENCE_LIST_MAX members is **large**: its members stop
// getting per-user join/leave diffs (N joins would cost N² bytes) and get the room's member
// count instead, at most once per LARGE_PRESENCE_INTERVAL_MS and only when it changed; a joiner
// gets the count and a first page of LARGE_FIRST_PAGE members. Crossing the threshold either
// way is announced to the room, with hysteresis: large above PRESENCE_LIST_MAX, small again only
// below SMALL_AGAIN_RATIO of it, so a room hovering at the threshold does not flap.
//
// The tier is this node's view, kept for rooms with members here (the Hub forgets a room with
// its last local member). The count is the engine's, read when the join answer reads its page
// anyway, and otherwise only when it can matter: a large room is recounted once per interval
// while it changes; a small one only when its last count plus the joins since could pass the
// threshold, so ordinary rooms never cost the engine a read. (Joins since the count include
// renames, so that sum is an upper bound: it may recount needlessly, never miss a crossing.)
import { andThen, type Awaitable } from "./awaitable.ts";
import type { MemberPage } from "./engine/engine.ts";
import { LARGE_FIRST_PAGE } from "./shared/limits.ts";
import type { Member, PresenceFrame } from "./shared/protocol.ts";

/** A large room turns small again only when its count falls below this share of PRESENCE_LIST_MAX. */
export const SMALL_AGAIN_RATIO = 0.9;

export interface TierOptions {
  /** PRESENCE_LIST_MAX: rooms with more members than this are large. */
  listMax: number;
  /** LARGE_PRESENCE_INTERVAL_MS: the shortest gap between two count frames (or recounts) of a room. */
  largeIntervalMs: number;
}

/** The room's member count across the cluster (the engine's). */
export type CountMembers = (room: string) => Awaitable<number>;

interface Tier {
  large: boolean;
  /** The count last read; unknown until the first read. */
  count: number | null;
  /** Joins reported since that read. */
  joinsSince: number;
  /** The count last told to the room (large rooms). */
  sentCount: number;
  /** When the room was last recounted or told (ms). */
  at: number;
  timer: ReturnType<typeof setTimeout> | null;
}

export class PresenceTiers {
  private readonly rooms = new Map<string, Tier>();

  constructor(
    private readonly opts: TierOptions,
    private readonly count: CountMembers,
    /** Publishes a count or crossing frame to the room's members on this node. */
    private readonly publish: (room: string, frame: PresenceFrame) => void,
    private readonly onError: (room: string, err: unknown) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  isLarge(room: string): boolean {
    return this.rooms.get(room)?.large ?? false;
  }

  /**
   * A membership change in `room` with `joins` joins (or renames). True when the room is large:
   * the caller sends no diff then. Schedules the recount that a count frame or a crossing needs.
   */
  changed(room: string, joins: number): boolean {
    let t = this.rooms.get(room);
    if (!t) this.rooms.set(room, (t = { large: false, count: null, joinsSince: 0, sentCount: 0, at: 0, timer: null }));
    t.joinsSince += joins;
    if (t.large || t.count === null || t.count + t.joinsSince > this.opts.listMax) this.schedule(room, t);
    return t.large;
  }

  /**
   * A fresh count of `room` (a join answer's page, or a recount): updates the tier, announcing a
   * crossing to the room. Returns whether the room is large now.
   */
  observe(room: string, count: number): boolean {
    let t = this.rooms.get(room);
    if (!t) this.rooms.set(room, (t = { large: false, count, joinsSince: 0, sentCount: count, at: this.now(), timer: null }));
    const was = t.large;
    t.count = count;
    t.joinsSince = 0;
    t.large = was ? count >= this.opts.listMax * SMALL_AGAIN_RATIO : count > this.opts.listMax;
    if (t.large !== was) this.tell(room, t, count);
    return t.large;
  }

  /** Drops a room this node has no members of any more. */
  forget(room: string): void {
    const t = this.rooms.get(room);
    if (t?.timer) clearTimeout(t.timer);
    this.rooms.delete(room);
  }

  stop(): void {
    for (const t of this.rooms.values()) if (t.timer) clearTimeout(t.timer);
    this.rooms.clear();
  }

  private schedule(room: string, t: Tier): void {
    if (t.timer) return;
    const wait = Math.max(0, t.at + this.opts.largeIntervalMs - this.now());
    t.timer = setTimeout(() => this.recount(room, t), wait);
  }

  private recount(room: string, t: Tier): void {
    t.timer = null;
    t.at = this.now();
    const done = (n: number): void => {
      if (this.rooms.get(room) !== t) return; // forgotten meanwhile
      const was = t.large;
      const large = this.observe(room, n);
      if (large && was && n !== t.sentCount) this.tell(room, t, n);
    };
    try {
      const r = andThen(this.count(room), done);
      if (r instanceof Promise) r.catch((err: unknown) => this.onError(room, err));
    } catch (err) {
      this.onError(room, err);
    }
  }

  private tell(room: string, t: Tier, count: number): void {
    t.sentCount = count;
    t.at = this.now();
    this.publish(room, { type: "presence", room, joins: [], leaves: [], count, large: t.large });
  }
}

/**
 * A large room's join answer: its first LARGE_FIRST_PAGE members by id, the joiner's own entry
 * always among them (in place of the page's last when it falls outside). `next` continues the
 * ordered part, so paging on with `who` may list the joiner again (clients key members by id).
 * Takes `page.users` over (cut and appended to in place): pass a page read for this answer.
 */
export function largeFirstPage(page: MemberPage, self: Member, size = LARGE_FIRST_PAGE): MemberPage {
  // No slices or closures: this runs on every join of a large room. The page is ordered by id,
  // so an id past its n-th cannot be among the first n (the usual case).
  const users = page.users;
  const n = Math.min(users.length, size);
  let mine = false;
  if (n > 0 && self.id <= users[n - 1]!.id) for (let i = 0; i < n && !mine; i++) mine = users[i]!.id === self.id;
  const kept = mine ? n : Math.min(users.length, size - 1);
  let beyond = page.next !== undefined;
  for (let i = kept; i < users.length && !beyond; i++) beyond = users[i]!.id !== self.id;
  users.length = kept;
  const last = users[kept - 1];
  if (!mine) users.push(self);
  const out: MemberPage = { count: page.count, users };
  if (beyond && last) out.next = last.id;
  return out;
}
