// Hub: this node's registry of connections, and the only code that changes it. It keeps the
// two-way index (room → sessions here; session → rooms on each Session) and user id → sessions
// (a user's tabs), so "is this the user's first connection in the room?" and "leave everything"
// are each one look-up. It is the engine's sink: room frames fan out through Bun's topic publish
// (no JS loop over a room's members on the message path), direct frames through the user index.
// The operations that combine the index with the engine live beside it: rooms.ts (join, leave,
// who, history), messages.ts (chat, direct), user-names.ts (names), admission.ts (connect,
// disconnect); backpressure.ts decides about slow consumers.
import { SlowConsumers } from "./backpressure.ts";
import { IdleWheel } from "./idle-wheel.ts";
import { CloseCode } from "./shared/codes.ts";
import type { Config } from "./config.ts";
import type { ControlMessage, EngineSink, StreamPosition } from "./engine/engine.ts";
import { PresenceCoalescer } from "./presence.ts";
import { PresenceTiers, type CountMembers } from "./presence-tiers.ts";
import type { Member } from "./shared/protocol.ts";
import { encode } from "./shared/protocol.ts";
import type { Session } from "./session.ts";
import { Batcher, type BatchPublish } from "./batcher.ts";
import { LocalMembers } from "./local-members.ts";
import { batchTopic, roomTopic } from "./topics.ts";

/** The idle wheel's resolution: a silent peer goes within this long after IDLE_TIMEOUT_S. */
export const IDLE_TICK_MS = 100;
/** Bun's publish to a room's topic on this node; returns Bun's aggregate status (0 = someone dropped it). */
export type LocalPublish = (room: string, data: string) => number;

interface LocalRoom {
  /** The room's name, kept once: every member Session's rooms entry is this string. */
  readonly name: string;
  readonly sessions: LocalMembers;
  /** How many of them take batched frames (batcher.ts). */
  batchers: number;
}

export class Hub implements EngineSink {
  /**
   * Open sessions not admitted: still in their handshake, or refused and closing. Admitted
   * ones live in `users` only, so each connection costs one hash-table entry here, not two.
   */
  private readonly pending = new Set<Session>();
  /**
   * user id → this node's admitted sessions of that user (an array only while a user has
   * several tabs here). This is how direct messages reach a user: a Bun topic per user would
   * cost every connection ~450 bytes of native memory for a rarely used feature.
   */
  private readonly users = new Map<string, Session | Session[]>();
  /** Sessions in `users`. */
  private admitted = 0;
  /** room → this node's sessions in it; a room goes with its last session. */
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly presenceOut: PresenceCoalescer;
  /** Which rooms are large (PRESENCE_LIST_MAX) and their count frames; rooms.ts asks it on a join's answer. */
  readonly tiers: PresenceTiers;
  private countMembers: CountMembers = () => 0;
  private readonly batches: Batcher;
  private batchPublish: BatchPublish = () => {};
  readonly slow: SlowConsumers;
  private readonly idle: IdleWheel;
  private localPublish: LocalPublish = () => 0;
  private onControl: (msg: ControlMessage) => void = () => {};

  constructor(private readonly config: Config) {
    // A diff that waited while its room turned large is dropped: its members now follow counts.
    this.presenceOut = new PresenceCoalescer(config.presenceIntervalMs, (room, joins, leaves) => {
      if (!this.tiers.isLarge(room)) this.publishRoom(room, encode({ type: "presence", room, joins, leaves }));
    });
    this.tiers = new PresenceTiers(
      { listMax: config.presenceListMax, largeIntervalMs: config.largePresenceIntervalMs },
      (room) => this.countMembers(room),
      (room, frame) => this.publishRoom(room, encode(frame)),
    );
    this.batches = new Batcher(config.batchMs, (room, data) => this.batchPublish(room, data));
    this.slow = new SlowConsumers(config.slowConsumerBytes, (room) => this.rooms.get(room)?.sessions ?? []);
    this.idle = new IdleWheel(IDLE_TICK_MS, (s, now) => this.idleCheck(s, now));
  }

  /**
   * Wires Bun's server.publish in once the server exists, who handles control messages, and
   * where a room's cluster-wide member count is read (the engine's presence), and the publish
   * to a room's batch topic.
   */
  bind(publish: LocalPublish, onControl: (msg: ControlMessage) => void, countMembers?: CountMembers, batchPublish?: BatchPublish): void {
    this.localPublish = publish;
    this.onControl = onControl;
    if (countMembers) this.countMembers = countMembers;
    if (batchPublish) this.batchPublish = batchPublish;
  }

  // ---- EngineSink ----------------------------------------------------------------------------

  /**
   * Always the plain topic (its publish is what metrics count, for every local member); the
   * room's batch subscribers, if any, get it with the rest of this turn's frames (batcher.ts).
   */
  publishRoom(room: string, data: string): void {
    this.slow.published(room, this.localPublish(room, data));
    if (this.rooms.get(room)?.batchers) this.batches.add(room, data);
  }

  /** Publishes the frames held for the rooms of batch subscriber `s` (before a direct send to it). */
  flushBatches(s: Session): void {
    if (!this.batches.idle) this.batches.flushRooms(s.rooms);
  }

  sendToUser(userId: string, data: string, exceptConn?: string): void {
    for (const s of this.sessionsOf(userId)) if (s.conn !== exceptConn) s.sendEncoded(data);
  }

  /**
   * A membership change to tell this node's members of `room`. Kept when the room has members
   * here, or when a diff for it is still pending: the leave of a room's last member must not be
   * dropped while its join waits in the coalescer, or the next member to come would be told of
   * the join and never of the leave (a ghost in every list: test/presence.test.ts).
   */
  presence(room: string, joins: Member[], leaves: Member[]): void {
    // A large room's members get counts (presence-tiers.ts), not per-user diffs.
    if (this.rooms.has(room) && this.tiers.changed(room, joins.length)) return;
    if (this.rooms.has(room) || this.presenceOut.has(room)) this.presenceOut.add(room, joins, leaves);
  }

  control(msg: ControlMessage): void {
    this.onControl(msg);
  }

  /** Tells the room's members here, in order with its messages, that its numbering restarted. */
  restarted(room: string, pos: StreamPosition): void {
    this.publishRoom(room, encode({ type: "epoch", room, epoch: pos.epoch, seq: pos.seq }));
  }

  // ---- connections ---------------------------------------------------------------------------

  /** Open connections, admitted or not. */
  get size(): number {
    return this.pending.size + this.admitted;
  }

  /** Registers a freshly opened connection (before admission), so sweeps and shutdown see it. */
  connect(s: Session): void {
    this.pending.add(s);
    this.idle.schedule(s, s.lastSeenMs + this.idleMs / 2);
  }

  /** Moves an admitted session into the user index (after it took on its user id). */
  admit(s: Session): void {
    if (!this.pending.delete(s)) return;
    this.admitted++;
    const u = this.users.get(s.userId);
    if (u === undefined) this.users.set(s.userId, s);
    else if (Array.isArray(u)) u.push(s);
    else this.users.set(s.userId, [u, s]);
  }

  /**
   * Removes a closed session from the registry and every room it was in. Returns the rooms its
   * user is no longer in on this node, and whether it was the user's last session here.
   */
  remove(s: Session): { rooms: string[]; lastOfUser: boolean } {
    this.slow.forget(s);
    this.idle.remove(s);
    if (this.pending.delete(s)) return { rooms: [], lastOfUser: !this.users.has(s.userId) };
    const rooms = [...s.rooms].filter((room) => this.exit(s, room));
    const u = this.users.get(s.userId);
    if (u === s) this.users.delete(s.userId);
    else if (Array.isArray(u) && u.includes(s)) {
      // A new array, never a mutation: all() may be iterating the old one.
      const rest = u.filter((x) => x !== s);
      this.users.set(s.userId, rest.length === 1 ? rest[0]! : rest);
    } else return { rooms, lastOfUser: false };
    this.admitted--;
    return { rooms, lastOfUser: !this.users.has(s.userId) };
  }

  /** This node's admitted sessions of a user. */
  sessionsOf(userId: string): readonly Session[] {
    const u = this.users.get(userId);
    return u === undefined ? [] : Array.isArray(u) ? u : [u];
  }

  /** One of the user's sessions here (the first), without building a list: admission asks on every connect. */
  anySessionOf(userId: string): Session | undefined {
    const u = this.users.get(userId);
    return Array.isArray(u) ? u[0] : u;
  }

  // ---- rooms ---------------------------------------------------------------------------------

  /**
   * Puts the session in `room` here: indexed and subscribed to the room's topic (before anyone
   * reads a snapshot, so no message falls between). True when it is the user's first session
   * in the room on this node, i.e. the engine must hear of the join.
   */
  enter(s: Session, room: string): boolean {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = { name: room, sessions: new LocalMembers(), batchers: 0 }));
    const first = !this.userIn(s.userId, room);
    if (r.sessions.add(s) && s.batch) r.batchers++;
    s.enterRoom(r.name);
    s.socket?.subscribe(s.batch ? batchTopic(room) : roomTopic(room));
    return first;
  }

  /** Takes the session out of `room` here. True when it was the user's last session in it. */
  exit(s: Session, room: string): boolean {
    const r = this.rooms.get(room);
    s.exitRoom(room);
    // A closed socket has left its topics already (Bun unsubscribes before the close handler).
    if (!s.closing) s.socket?.unsubscribe(s.batch ? batchTopic(room) : roomTopic(room));
    if (!r?.sessions.delete(s)) return false;
    if (s.batch) r.batchers--;
    if (r.sessions.size === 0) {
      this.rooms.delete(room);
      this.tiers.forget(room);
    }
    return !this.userIn(s.userId, room);
  }

  /** Whether any of the user's sessions here is in the room. */
  userIn(userId: string, room: string): boolean {
    const u = this.users.get(userId);
    if (u === undefined) return false;
    if (!Array.isArray(u)) return u.rooms.includes(room);
    for (const s of u) if (s.rooms.includes(room)) return true;
    return false;
  }

  /** Rooms with at least one member on this node (metrics). */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Local members of a room (for tests and metrics). */
  localMembers(room: string): number {
    return this.rooms.get(room)?.sessions.size ?? 0;
  }

  // ---- housekeeping --------------------------------------------------------------------------

  /**
   * The periodic housekeeping: connections whose buffer is being watched are looked at again
   * (backpressure.ts), and those due on the idle wheel are checked for silence. Nothing here
   * walks every connection.
   */
  sweep(now: number): void {
    this.slow.recheck(now);
    this.idle.advance(now);
  }

  private get idleMs(): number {
    return this.config.idleTimeoutS * 1000;
  }

  /** A connection due on the idle wheel: dropped past IDLE_TIMEOUT_S of silence, pinged past half of it. */
  private idleCheck(s: Session, now: number): number | null {
    if (s.closing) return null;
    const idleMs = this.idleMs;
    const silentMs = now - s.lastSeenMs;
    if (silentMs > idleMs) {
      s.evict(CloseCode.Idle);
      return null;
    }
    if (silentMs > idleMs / 2) {
      s.pingOnce();
      return s.lastSeenMs + idleMs + 1;
    }
    return s.lastSeenMs + idleMs / 2 + 1;
  }

  /** Sends every pending presence diff now. */
  flushPresence(): void {
    this.presenceOut.flushNow();
  }

  /** Every open, not yet removed session: the sweep's and shutdown's walk. */
  *all(): Iterable<Session> {
    yield* this.pending;
    for (const u of this.users.values()) {
      if (Array.isArray(u)) yield* u;
      else yield u;
    }
  }

  stop(): void {
    this.batches.flushAll();
    this.presenceOut.stop();
    this.tiers.stop();
    this.slow.stop();
  }
}
