// RoomState: what the client knows about one room it is in — the live user list and its
// position in the room's message stream, `{epoch, lastSeq}`. It turns live frames and replays
// into one stream that delivers every message once, in seq order:
// - While a room syncs (joining, or rejoining after a reconnect), live messages are held: the
//   server subscribes a joiner before it reads history, so a message can arrive both live and
//   in the replay, and delivering the live copy first would make the replay look old.
// - A rejoin asks for `{since: lastSeq, epoch}`. The server says whether it could replay
//   everything after that (`recovered: true`), or not (`recovered: false`, with the newest
//   page instead): then either the epoch changed (the room's numbering restarted: a reset) or
//   the missed messages fell out of the kept history (a gap).
// - The replay (all its pages) is merged with the held messages; anything at or below lastSeq
//   is dropped.
import type { HistoryFrame, Member, MessageFrame, StreamEntry } from "../shared/protocol.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { MessageList } from "./message-list.ts";

/** Messages the client could not recover: they fell out of the server's history. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
}

/** Where a join resumes; absent fields are left out of the frame. */
export interface ResumePoint {
  since?: number;
  epoch?: string;
}

/** What the server replayed on a join with `since`: every page of it, and whether it was complete. */
export interface Replay {
  epoch: string;
  recovered: boolean;
  messages: readonly StreamEntry[];
}

export interface SyncResult {
  /** To deliver, in seq order (messages, and the edits, deletes and reactions among them). */
  messages: StreamEntry[];
  /** The room's numbering restarted since it was last followed (a new epoch). */
  reset: boolean;
  /** After a reset: the messages the list held, of the old epoch. */
  previous: readonly MessageFrame[];
  /** Messages of the current epoch that were missed and could not be recovered. */
  gap: Gap | null;
}

export class RoomState {
  readonly name: string;
  /** Highest seq delivered, or the room's seq when it was joined without history; 0 = none. */
  lastSeq = 0;
  /** The epoch lastSeq counts in; null before the first sync. */
  epoch: string | null = null;
  /** The live user list, by user id (a large room's: its first page, members.ts). */
  readonly users = new Map<string, Member>();
  /** The room's messages this client holds, in their current state. */
  readonly list = new MessageList();
  /** The room's member count, from the server (members.ts). */
  count = 0;
  /** The room is large: no per-user presence, `users` is a first page (members.ts). */
  large = false;
  /** Settles when the room's first sync completes (what join() awaits). */
  readonly joined: Deferred<void> = deferred<void>();
  /** Live messages held while a sync runs; null when not syncing. */
  private held: StreamEntry[] | null = null;
  /** The ref-less `history` frame a join with `since` gets ahead of its `users` reply. */
  private replayFrame: HistoryFrame | null = null;
  /** A sync has completed at least once: {epoch, lastSeq} is a position in the room's stream. */
  private followed = false;
  /** An `epoch` frame came during this sync: the join's replay counts in the old epoch. */
  private restartedMidSync = false;
  /** On the first join, replay the room's kept history instead of starting from now. */
  private readonly withHistory: boolean;

  constructor(name: string, withHistory = false) {
    this.name = name;
    this.withHistory = withHistory;
  }

  /**
   * Where to join from: nowhere (start from now) the first time, or the last position. A room
   * joined with history gets its newest page on top of that (wantsHistory), not a replay from
   * seq 0: a durable room may hold thousands of messages, and older ones come with loadOlder().
   */
  resumePoint(): ResumePoint | undefined {
    if (!this.followed) return undefined;
    return { since: this.lastSeq, epoch: this.epoch! };
  }

  /** This first sync should deliver the room's newest page of history before what is live. */
  get wantsHistory(): boolean {
    return this.withHistory && !this.followed;
  }

  get syncing(): boolean {
    return this.held !== null;
  }

  beginSync(): void {
    this.held = [];
    this.replayFrame = null;
    this.restartedMidSync = false;
  }

  /** The connection dropped mid-sync: held messages will come back in the next replay. */
  abortSync(): void {
    this.held = null;
    this.replayFrame = null;
  }

  /** A message from the live stream: returned for delivery now, or held while syncing. */
  live(m: StreamEntry): StreamEntry[] {
    if (this.held) {
      this.held.push(m);
      return [];
    }
    return this.accept([m]);
  }

  /**
   * The room's numbering restarted (an `epoch` frame, which comes in order with the room's
   * messages, before the new epoch's first): seqs from here on count anew after `seq`. Returns
   * the messages the list held, of the old epoch.
   */
  restart(epoch: string, seq: number): readonly MessageFrame[] {
    this.epoch = epoch;
    this.lastSeq = seq;
    if (this.held) {
      // Mid-sync: what was held and the replay belong to the old epoch.
      this.held = [];
      this.replayFrame = null;
      this.restartedMidSync = true;
    }
    return this.list.clear();
  }

  /** Keeps the join's replay (a ref-less `history` with `recovered`) while syncing; true if taken. */
  offerReplay(f: HistoryFrame): boolean {
    if (!this.held || f.recovered === undefined || f.ref !== undefined || this.replayFrame) return false;
    this.replayFrame = f;
    return true;
  }

  /** The replay that came with this sync's join, if any. */
  takeReplay(): HistoryFrame | null {
    const f = this.replayFrame;
    this.replayFrame = null;
    return f;
  }

  /**
   * Ends a sync with the room's position from its `users` reply and the replay (null when
   * joined without `since`). A replay that is not `recovered` in another epoch is a reset: the
   * old position means nothing, and everything the server has now is new.
   */
  endSync(pos: { seq: number; epoch: string }, given: Replay | null): SyncResult {
    const held = this.held ?? [];
    const replay = this.restartedMidSync ? null : given;
    this.restartedMidSync = false;
    this.held = null;
    this.replayFrame = null;
    let reset = false;
    let previous: readonly MessageFrame[] = [];
    if (replay && !replay.recovered && this.followed && replay.epoch !== this.epoch) {
      reset = true;
      this.lastSeq = 0;
      previous = this.list.clear();
    }
    const from = this.lastSeq;
    const messages = this.accept(replay ? [...replay.messages, ...held] : held);
    let gap: Gap | null = null;
    if (replay && !replay.recovered && this.followed) {
      const firstSeq = messages[0]?.seq ?? pos.seq + 1;
      if (firstSeq > from + 1) gap = { fromSeq: from + 1, toSeq: firstSeq - 1 };
    }
    if (pos.seq > this.lastSeq) this.lastSeq = pos.seq;
    this.epoch = pos.epoch;
    this.followed = true;
    return { messages, reset, previous, gap };
  }

  private accept(ms: readonly StreamEntry[]): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (const m of [...ms].sort((a, b) => a.seq - b.seq)) {
      if (m.seq <= this.lastSeq) continue;
      this.lastSeq = m.seq;
      out.push(m);
    }
    return out;
  }

  // ---- the live user list ----------------------------------------------------------------

  /** Replaces the list with a snapshot's first page. */
  setUsers(users: readonly Member[]): void {
    this.users.clear();
    this.addUsers(users);
  }

  /** Adds a later page of the snapshot (read after the presence diffs already applied). */
  addUsers(users: readonly Member[]): void {
    for (const u of users) this.users.set(u.id, u);
  }

  /** Applies a presence diff: leaves first, then joins (a rename is a join with the same id and a new name). */
  applyPresence(joins: readonly Member[], leaves: readonly Member[]): void {
    for (const m of leaves) this.users.delete(m.id);
    for (const m of joins) this.users.set(m.id, m);
  }
}
