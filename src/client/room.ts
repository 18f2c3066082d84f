// RoomState: what the client knows about one room it is in — the live user list and how far
// the room's message stream has been delivered. It turns live frames and replays into one
// stream that delivers every message once, in seq order:
// - While a room syncs (joining, or rejoining after a reconnect), live messages are held: the
//   server subscribes a joiner before it reads history, so a message can arrive both live and
//   in the replay, and delivering the live copy first would make the replay look old.
// - A replay is merged with the held messages and anything at or below lastSeq is dropped.
// - A rejoin overlaps by one message (since = lastSeq - 1) so the client can see whether the
//   message it last saw is still the one at that seq. The memory engine forgets everything
//   when the server restarts and numbers from 1 again; without this check the new messages
//   1..lastSeq would be dropped as duplicates.
import type { Member, MessageFrame } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";

/** Messages the client could not recover: they fell out of the server's history. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
}

export class RoomState {
  readonly name: string;
  /** Highest seq delivered, or the room's seq when it was joined without history; 0 = none. */
  lastSeq = 0;
  /** Id of the message at lastSeq, when it was delivered here (null when lastSeq came from a snapshot). */
  lastId: string | null = null;
  /** The live user list, by member id. */
  readonly users = new Map<string, Member>();
  /** Settles when the room's first sync completes (what join() awaits). */
  readonly joined: Deferred<void> = deferred<void>();
  /** Live messages held while a sync runs; null when not syncing. */
  private held: MessageFrame[] | null = null;
  /** A sync has completed at least once: lastSeq is a position in the room's stream. */
  private followed = false;
  /** On the first join, replay the room's kept history instead of starting from now. */
  private readonly withHistory: boolean;

  constructor(name: string, withHistory = false) {
    this.name = name;
    this.withHistory = withHistory;
  }

  /** The `since` to join with: none (start from now), 0 (all kept history) or a resume point. */
  resumeSince(): number | undefined {
    if (!this.followed) return this.withHistory ? 0 : undefined;
    return this.lastId !== null ? this.lastSeq - 1 : this.lastSeq;
  }

  get syncing(): boolean {
    return this.held !== null;
  }

  beginSync(): void {
    this.held = [];
  }

  /** The connection dropped mid-sync: held messages will come back in the next replay. */
  abortSync(): void {
    this.held = null;
  }

  /** A message from the live stream: returned for delivery now, or held while syncing. */
  live(m: MessageFrame): MessageFrame[] {
    if (this.held) {
      this.held.push(m);
      return [];
    }
    return this.accept([m]);
  }

  /**
   * True when the room's sequence restarted since this client last followed it: the snapshot
   * is behind what was delivered, or the replayed message at lastSeq is another message.
   */
  isReset(usersSeq: number, replay: readonly MessageFrame[]): boolean {
    if (!this.followed || this.lastSeq === 0) return false;
    if (usersSeq < this.lastSeq) return true;
    const overlap = replay.find((m) => m.seq === this.lastSeq);
    return this.lastId !== null && overlap !== undefined && overlap.id !== this.lastId;
  }

  /** Forgets the old sequence after a reset: everything the server has now is new. */
  restart(): void {
    this.lastSeq = 0;
    this.lastId = null;
  }

  /**
   * Ends a sync with the room's snapshot seq and its replay (null when joined without `since`).
   * Returns the messages to deliver, in seq order, and the range that could not be recovered.
   */
  endSync(usersSeq: number, replay: readonly MessageFrame[] | null): { messages: MessageFrame[]; gap: Gap | null } {
    const held = this.held ?? [];
    this.held = null;
    const from = this.lastSeq;
    const messages = this.accept(replay ? [...replay, ...held] : held);
    let gap: Gap | null = null;
    if (replay && this.followed) {
      const firstSeq = messages[0]?.seq ?? usersSeq + 1;
      if (firstSeq > from + 1) gap = { fromSeq: from + 1, toSeq: firstSeq - 1 };
    }
    if (usersSeq > this.lastSeq) {
      this.lastSeq = usersSeq;
      this.lastId = null;
    }
    this.followed = true;
    return { messages, gap };
  }

  private accept(ms: readonly MessageFrame[]): MessageFrame[] {
    const out: MessageFrame[] = [];
    for (const m of [...ms].sort((a, b) => a.seq - b.seq)) {
      if (m.seq <= this.lastSeq) continue;
      this.lastSeq = m.seq;
      this.lastId = m.id;
      out.push(m);
    }
    return out;
  }

  // ---- the live user list ----------------------------------------------------------------

  setUsers(users: readonly Member[]): void {
    this.users.clear();
    for (const u of users) this.users.set(u.id, u);
  }

  /** Applies a presence diff: leaves first, then joins (a rename is both, same id). */
  applyPresence(joins: readonly Member[], leaves: readonly Member[]): void {
    for (const m of leaves) this.users.delete(m.id);
    for (const m of joins) this.users.set(m.id, m);
  }
}
