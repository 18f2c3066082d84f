// MemoryEngine: the single-node Engine, its four parts living in this process. Delivery is Bun's
// topic publish, so a room message is serialised once and written by native code.
//
// What is kept: a room's stream once it has had a message, in a StreamStore (stream-store.ts:
// in memory, or durable in SQLite with STORE=sqlite), and its member list while it has members.
// A room that never had a message is forgotten with its last member, so joining and leaving
// made-up rooms costs nothing lasting.
import type { Awaitable } from "../awaitable.ts";
import { CidCache } from "../cid-cache.ts";
import { MemberList } from "../member-list.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import type {
  Applied, Broker, ControlMessage, DirectDelivery, Engine, EngineSink, EventDraft, HistoryPage, HistoryQuery, HistoryStore, MemberPage, MessageDraft,
  NameRegistry, PresenceStore, Published, RoomPage, SendKey, StreamPosition,
} from "./engine.ts";
import type { ReadMarkerStore } from "../read-markers.ts";
import { MemoryRoomStates, type RoomStateStore } from "../room-states.ts";
import { MemoryStream } from "./memory-stream.ts";
import type { StreamStore } from "./stream-store.ts";

export interface MemoryEngineOptions {
  /** Entries kept per room by the default memory stream (HISTORY_SIZE). */
  historySize: number;
  /** Where room streams are kept: a MemoryStream of `historySize` unless given (STORE=sqlite gives a SqliteStream). */
  stream?: StreamStore;
  /** Node id; random when absent. */
  nodeId?: string;
}

/** Where the parts deliver: the sink once started, nothing before or after. */
interface Outlet {
  sink: EngineSink | null;
}

/** The Broker and the HistoryStore: the room streams (a StreamStore) plus delivery. */
class LocalBroker implements Broker, HistoryStore {
  /** Direct messages are not stored, so their cids are remembered here. */
  private readonly directs = new CidCache<DirectMessageFrame>();

  constructor(
    private readonly out: Outlet,
    readonly stream: StreamStore,
  ) {}

  publish(room: string, draft: MessageDraft, key?: SendKey): Awaitable<Published> {
    return this.stream.publish(room, draft, key);
  }

  apply(room: string, draft: EventDraft): Awaitable<Applied> {
    return this.stream.apply(room, draft);
  }

  signal(room: string, data: string): void {
    this.out.sink?.publishRoom(room, data);
  }

  direct(d: DirectDelivery): DirectMessageFrame | null {
    const seen = d.key && this.directs.get(d.key);
    if (seen) return seen;
    if (d.key) this.directs.set(d.key, d.mine);
    if (d.to !== null) this.out.sink?.sendToUser(d.to, encode(d.frame));
    this.out.sink?.sendToUser(d.from, encode(d.mine), d.exceptConn);
    return null;
  }

  sentDirect(key: SendKey): DirectMessageFrame | null {
    return this.directs.get(key) ?? null;
  }

  control(msg: ControlMessage): void {
    this.out.sink?.control(msg);
  }

  position(room: string): StreamPosition {
    return this.stream.position(room);
  }

  page(room: string, query: HistoryQuery): Awaitable<HistoryPage> {
    return this.stream.page(room, query);
  }

  message(room: string, id: string): Awaitable<MessageFrame | null> {
    return this.stream.message(room, id);
  }
}

class MemoryPresence implements PresenceStore {
  /** Rooms with members. */
  private readonly byRoom = new Map<string, MemberList>();

  constructor(
    private readonly out: Outlet,
    /** This node: the origin of every change (there is no other). */
    private readonly nodeId: string,
    /** The room's last member left. */
    private readonly emptied: (room: string) => void,
  ) {}

  join(room: string, member: Member): void {
    let list = this.byRoom.get(room);
    if (!list) this.byRoom.set(room, (list = new MemberList()));
    if (list.set(member)) this.out.sink?.presence(room, [member], [], this.nodeId);
  }

  leave(room: string, member: Member): void {
    const list = this.byRoom.get(room);
    const gone = list?.delete(member.id);
    if (!gone) return;
    if (list!.size === 0) this.byRoom.delete(room);
    this.out.sink?.presence(room, [], [gone], this.nodeId);
    if (list!.size === 0) this.emptied(room);
  }

  page(room: string, after: string | undefined, limit: number): MemberPage {
    return this.byRoom.get(room)?.page(after, limit) ?? { count: 0, users: [] };
  }

  find(room: string, userId: string): MemberPage {
    const list = this.byRoom.get(room);
    const m = list?.get(userId);
    return { count: list?.size ?? 0, users: m ? [m] : [] };
  }

  /** Sorted at each call: cheap for thousands of rooms, and the server API is not a hot path. */
  rooms(after: string | undefined, limit: number): RoomPage {
    const names = [...this.byRoom.keys()].filter((r) => after === undefined || r > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const rooms = names.slice(0, Math.max(0, limit)).map((room) => ({ room, count: this.byRoom.get(room)!.size }));
    return names.length > rooms.length && rooms.length > 0 ? { rooms, next: rooms[rooms.length - 1]!.room } : { rooms };
  }

  get roomCount(): number {
    return this.byRoom.size;
  }
}

class MemoryNames implements NameRegistry {
  /**
   * Name key → holder, in the order the keys were last claimed (a re-claim moves its key to the
   * end), so a user's newest key is its last entry. No user id → key index beside it: that was
   * a second hash-table entry of every connected user (~70 B of JS heap per connection, the
   * idle-memory target in docs/benchmarks.md) for lookupUser, which only the server API calls.
   */
  private readonly names = new Map<string, Member>();

  claim(key: string, member: Member): boolean {
    const holder = this.names.get(key);
    if (holder && holder.id !== member.id) return false;
    if (holder) this.names.delete(key);
    this.names.set(key, member);
    return true;
  }

  release(key: string, memberId: string): void {
    if (this.names.get(key)?.id === memberId) this.names.delete(key);
  }

  lookup(key: string): Member | null {
    return this.names.get(key) ?? null;
  }

  /** A walk over every held name (the API's GET /users/{id}): the user's last claimed key wins, as mid-rename it holds two. */
  lookupUser(userId: string): Member | null {
    let found: Member | null = null;
    for (const m of this.names.values()) if (m.id === userId) found = m;
    return found;
  }
}

export class MemoryEngine implements Engine {
  readonly nodeId: string;
  readonly broker: LocalBroker;
  readonly history: LocalBroker;
  readonly presence: MemoryPresence;
  readonly names = new MemoryNames();
  readonly states: RoomStateStore;
  private readonly out: Outlet = { sink: null };

  constructor(opts: MemoryEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().slice(0, 8);
    this.broker = this.history = new LocalBroker(this.out, opts.stream ?? new MemoryStream(opts.historySize));
    this.states = this.broker.stream.roomStates ?? new MemoryRoomStates();
    // A room that emptied without ever having a message keeps nothing, its state included when
    // that says only who owned it (so made-up rooms cost nothing lasting, as before).
    this.presence = new MemoryPresence(this.out, this.nodeId, (room) => {
      if (this.broker.stream.position(room).seq === 0) this.states.forgetPlain?.(room);
    });
  }

  get ready(): boolean {
    return this.out.sink !== null;
  }

  async start(sink: EngineSink): Promise<void> {
    this.out.sink = sink;
    this.broker.stream.attach((room, data) => sink.publishRoom(room, data));
  }

  /** The store's read markers (SQLite keeps them in its database; the memory stream has none). */
  get readMarkers(): ReadMarkerStore | undefined {
    return this.broker.stream.readMarkers;
  }

  /** Entries held in memory for history (the hubbub_history_messages metric). */
  historyMessages(): number {
    return this.broker.stream.held();
  }

  /** Rooms the engine holds anything for in memory (tests: that empty rooms are dropped). */
  get roomCount(): { streams: number; presence: number; states: number } {
    return { streams: this.broker.stream.roomCount, presence: this.presence.roomCount, states: this.states.size ?? 0 };
  }

  /** Stops delivering, then lets the stream finish what is in flight (a last commit) and close. */
  async close(): Promise<void> {
    this.out.sink = null;
    this.broker.stream.attach(null);
    await this.broker.stream.close();
  }
}
