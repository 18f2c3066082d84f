// What the client knows and tells about attention in its rooms: who is typing (Typists) and how
// far this user has read (ReadMarkers), and when to report its own typing. One owner for that
// state; HubbubClient calls it from its frames, its sends and its connection's life.
import { TYPING_INTERVAL_MS } from "../shared/limits.ts";
import type { Member } from "../shared/protocol.ts";
import { ReadMarkers } from "./reads.ts";
import { Typists } from "./typing.ts";

export interface AwarenessHost {
  /** Whether the connection is up (typing is only worth sending live). */
  connected(): boolean;
  /** Sends `typing` for a room now; false when it could not go out. */
  sendTyping(room: string): boolean;
  /** Sends `read` and resolves with the marker the server kept. */
  sendRead(room: string, seq: number): Promise<number>;
  typists(room: string, users: Member[]): void;
  lastRead(room: string, seq: number): void;
}

export class Awareness {
  private readonly typists: Typists;
  /** When (ms) this client last sent `typing` per room. */
  private readonly typedAt = new Map<string, number>();
  private readonly reads: ReadMarkers;

  constructor(private readonly host: AwarenessHost) {
    this.typists = new Typists((room, users) => host.typists(room, users));
    this.reads = new ReadMarkers({ send: (room, seq) => host.sendRead(room, seq), changed: (room, seq) => host.lastRead(room, seq) });
  }

  /** Who is typing in `room` now. */
  typing(room: string): Member[] {
    return this.typists.in(room);
  }

  /** How far this user has read `room` (0: not known). */
  lastRead(room: string): number {
    return this.reads.get(room);
  }

  /** Reports this user typing in `room`, at most once per TYPING_INTERVAL_MS and only while connected. */
  notifyTyping(room: string, now: number): boolean {
    if (!this.host.connected()) return false;
    const last = this.typedAt.get(room);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    this.typedAt.set(room, now);
    return this.host.sendTyping(room);
  }

  /** This user sent a message to `room`: the typing spell is over, the next keystroke reports at once. */
  sent(room: string): void {
    this.typedAt.delete(room);
  }

  /** Raises the read marker now, and tells the server when connected (or at the next connect). */
  markRead(room: string, seq: number): void {
    this.reads.raise(room, seq);
    if (this.host.connected()) this.reads.flush();
  }

  /** A join's answer: the server's marker for the room, and whether the room's numbering restarted. */
  joined(room: string, seq: number | undefined, reset: boolean): void {
    if (reset) this.reads.reset(room);
    if (seq !== undefined) this.reads.raise(room, seq, true);
  }

  /** Connected and synced: markers raised offline go out. */
  connected(): void {
    this.reads.flush();
  }

  /** The connection dropped: nobody is known to be typing any more. */
  lost(): void {
    this.typists.clear();
  }

  /** A `typing` frame for a room this client is in. */
  typingFrame(room: string, users: readonly Member[], me: string | null): void {
    this.typists.apply(room, users, me);
  }

  /** A `read` frame: another tab of this user (or the server) moved the marker. */
  readFrame(room: string, seq: number): void {
    this.reads.raise(room, seq, true);
  }

  /** A message from `userId` arrived: they are no longer typing. */
  spoke(room: string, userId: string): void {
    this.typists.spoke(room, userId);
  }

  /** The client left the room. */
  left(room: string): void {
    this.typists.clear(room);
    this.reads.reset(room);
  }
}
