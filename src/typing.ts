// Typing indicators. A member's `typing {room}` is a report that lasts TYPING_TTL_MS: this node
// folds the reports of a room into one pending set and sends it to the room's members on every
// node (Broker.signal) at most once per PRESENCE_INTERVAL_MS, as `typing {room, users}`.
//
// Why a batch of reports and not the room's list of typists: a frame lists only the typists one
// node heard from, so a list per node would make clients flicker between nodes' views, and a
// cluster-wide list would need shared state for a hint that is stale in seconds anyway. Clients
// merge the batches instead: each user listed counts as typing until TYPING_TTL_MS after the
// frame, or until their message arrives (docs/protocol.md, src/client/typing.ts).
//
// Limits: one report per user and room per TYPING_INTERVAL_MS is passed on (more are answered
// and dropped); rooms over MAX_TYPING_ROOM_MEMBERS members get none; the frame itself is metered
// as a request (connection.ts). A user's message cancels their report still waiting here, so the
// typing frame cannot arrive after the message it announced.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Engine } from "./engine/engine.ts";
import type { Rooms } from "./rooms.ts";
import { MAX_TYPING_ROOM_MEMBERS, TYPING_INTERVAL_MS } from "./shared/limits.ts";
import type { Member, Ref } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

export class Typing {
  /** room → user id → the member, for reports not sent yet. */
  private pending = new Map<string, Map<string, Member>>();
  /** `room \n userId` → when (ms) that user's last report was passed on; pruned at each flush. */
  private readonly passed = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly rooms: Rooms,
    private readonly engine: Engine,
    private readonly intervalMs: number,
  ) {}

  /** A `typing` frame from a member of the room. Answered `ok` when it carried a ref, whether passed on or dropped. */
  report(s: Session, raw: string, ref: Ref | undefined, now = Date.now()): void {
    const room = this.rooms.memberRoom(s, raw, ref);
    if (room === null) return;
    const key = `${room}\n${s.userId}`;
    const last = this.passed.get(key);
    if (last === undefined || now - last >= TYPING_INTERVAL_MS) {
      this.passed.set(key, now);
      let users = this.pending.get(room);
      if (!users) this.pending.set(room, (users = new Map()));
      users.set(s.userId, s.member);
      this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
    }
    if (ref !== undefined) s.send({ type: "ok", ref });
  }

  /** The user's message went out: their waiting report is void, and their next keystroke reports at once. */
  spoke(room: string, userId: string): void {
    this.pending.get(room)?.delete(userId);
    this.passed.delete(`${room}\n${userId}`);
  }

  /** Sends every pending batch (rooms over the size limit get nothing). Failures are dropped: typing is a hint. */
  flush(now = Date.now()): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = this.pending;
    this.pending = new Map();
    for (const [key, at] of this.passed) if (now - at >= TYPING_INTERVAL_MS) this.passed.delete(key);
    const sends: Awaitable<void>[] = [];
    for (const [room, users] of pending) {
      if (users.size === 0) continue;
      const frame = encode({ type: "typing", room, users: [...users.values()] });
      try {
        sends.push(andThen(this.rooms.members(room, undefined, 1), (page) => (page.count > MAX_TYPING_ROOM_MEMBERS ? undefined : this.engine.broker.signal(room, frame))));
      } catch {
        // An engine that cannot answer now: this batch is lost, the next keystrokes report again.
      }
    }
    return Promise.allSettled(sends).then(() => undefined);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
