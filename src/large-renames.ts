// Renames in large rooms. A large room sends no per-user diffs (presence-tiers.ts), and a rename
// is one (a join of a present id with a new name), so without this a member who holds the
// renamed user's entry (a first page, a `who` page, a look-up) would show the old name until the
// user spoke. The node where the rename is applied queues it per large room and tells the whole
// room, on every node (Broker.signal), at most once per LARGE_PRESENCE_INTERVAL_MS:
// `presence {room, joins: [], leaves: [], renames: [...]}`. One frame per interval however many
// rename, at most LARGE_RENAMES_MAX entries in it (the rest wait for the next interval), so a
// rename storm costs each member a bounded frame per interval rather than one per rename.
//
// The frame has no `large` and no `count`: a client in either mode reads it as an empty diff plus
// renames, and applies them only to the entries it holds (it adds nobody). A user with tabs on
// two nodes is renamed on each (user-names.ts), so a room both tabs are in may hear it twice;
// a rename by id is idempotent.
import { andThen } from "./awaitable.ts";
import type { Engine } from "./engine/engine.ts";
import { encode, type Member } from "./shared/protocol.ts";

/** The most renames one frame carries; more wait for the next interval. */
export const LARGE_RENAMES_MAX = 100;

export class LargeRenames {
  /** room → user id → the member's new name, in the order they came (a repeat keeps its place). */
  private readonly pending = new Map<string, Map<string, Member>>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly engine: Engine,
    /** LARGE_PRESENCE_INTERVAL_MS. */
    private readonly intervalMs: number,
  ) {}

  /** `member` was renamed in large room `room`: told to the room with the next flush. */
  add(room: string, member: Member): void {
    let users = this.pending.get(room);
    if (!users) this.pending.set(room, (users = new Map()));
    users.set(member.id, member);
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Sends each room's pending renames (up to LARGE_RENAMES_MAX; the rest go next time). Failures are dropped. */
  flush(): Promise<void> {
    this.timer = null;
    const sends: Promise<void>[] = [];
    for (const [room, users] of this.pending) {
      const renames: Member[] = [];
      for (const [id, m] of users) {
        if (renames.length === LARGE_RENAMES_MAX) break;
        renames.push(m);
        users.delete(id);
      }
      if (users.size === 0) this.pending.delete(room);
      const frame = encode({ type: "presence", room, joins: [], leaves: [], renames });
      // A rename's announcement is a hint on top of the stored member list, which has the name
      // already: an engine that cannot take it now loses it, and `who` still answers right.
      sends.push(Promise.resolve().then(() => andThen(this.engine.broker.signal(room, frame), () => {})).catch(() => {}));
    }
    if (this.pending.size > 0) this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    return Promise.all(sends).then(() => undefined);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
