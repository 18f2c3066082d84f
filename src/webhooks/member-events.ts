// member.joined and member.left from the engine's presence changes: per user, not per tab (the
// engine reports a change only when the cluster's member list changes), and once in the
// cluster (only the change's origin node reports it). A leave is held for
// MEMBER_LEAVE_GRACE_MS: a rejoin of the same user within it (a reload, a reconnect) cancels
// both, so a flaky network does not become a stream of left/joined pairs. When the hold ends,
// a user who is back in the room by way of another node is not reported as gone.
import type { Awaitable } from "../awaitable.ts";
import type { Member } from "../shared/protocol.ts";
import type { EventSink } from "./events.ts";

/** How long (ms) a leave waits for a rejoin that would cancel it. */
export const MEMBER_LEAVE_GRACE_MS = 3000;

export interface MemberEventsDeps {
  nodeId: string;
  events: EventSink;
  /** Whether `userId` is in `room` now, on any node (the engine's member list). */
  isMember(room: string, userId: string): Awaitable<boolean>;
  graceMs?: number;
}

interface Held {
  user: Member;
  ts: number;
  timer: ReturnType<typeof setTimeout>;
}

export class MemberEvents {
  /** Leaves waiting out their grace, by room and user id. */
  private readonly held = new Map<string, Held>();

  constructor(private readonly d: MemberEventsDeps) {}

  /** The engine's presence change (EngineSink.presence), with its origin node. */
  presence(room: string, joins: Member[], leaves: Member[], origin: string | undefined): void {
    const mine = origin === this.d.nodeId;
    for (const user of leaves) if (mine) this.hold(room, user);
    for (const user of joins) {
      const k = key(room, user.id);
      const h = this.held.get(k);
      if (h) {
        clearTimeout(h.timer);
        this.held.delete(k);
        continue;
      }
      if (mine) this.d.events.emit("member.joined", { room, user });
    }
  }

  /** Reports every held leave now (shutdown: the users are gone). */
  flush(): void {
    for (const [k, h] of this.held) {
      clearTimeout(h.timer);
      this.held.delete(k);
      this.d.events.emit("member.left", { room: roomOf(k), user: h.user }, h.ts);
    }
  }

  private hold(room: string, user: Member): void {
    const k = key(room, user.id);
    if (this.held.has(k)) return;
    const timer = setTimeout(() => this.release(k), this.d.graceMs ?? MEMBER_LEAVE_GRACE_MS);
    timer.unref?.();
    this.held.set(k, { user, ts: Date.now(), timer });
  }

  private release(k: string): void {
    const h = this.held.get(k);
    if (!h) return;
    this.held.delete(k);
    const room = roomOf(k);
    void Promise.resolve()
      .then(() => this.d.isMember(room, h.user.id))
      .catch(() => false)
      .then((back) => {
        if (!back) this.d.events.emit("member.left", { room, user: h.user }, h.ts);
      });
  }
}

// Rooms never contain a space (shared/names.ts), so the first one ends the room.
const key = (room: string, id: string) => `${room} ${id}`;
const roomOf = (k: string) => k.slice(0, k.indexOf(" "));
