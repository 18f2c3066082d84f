// MemoryEngine: the single-node Engine, its four parts living in this process. Delivery is Bun's
// topic publish, so a room message is serialised once and written by native code.
//
// What is kept: a room's seq and recent history once it has had a message (so its numbering
// never restarts while the process lives: one epoch per process serves every room), and its
// member list while it has members. A room that never had a message is forgotten with its last
// member, so joining and leaving made-up rooms costs nothing lasting.
import { CidCache } from "../cid-cache.ts";
import { History } from "../history.ts";
import { MemberList } from "../member-list.ts";
import type { DirectMessageFrame, Member, MessageFrame } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import type {
  Broker, ControlMessage, Engine, EngineSink, HistoryPage, HistoryQuery, HistoryStore, MemberPage, MessageDraft,
  NameRegistry, PresenceStore, Published, RoomPage, SendKey, StreamPosition,
} from "./engine.ts";

export interface MemoryEngineOptions {
  /** Messages kept per room (HISTORY_SIZE). */
  historySize: number;
  /** Node id; random when absent. */
  nodeId?: string;
}

interface Stream {
  seq: number;
  readonly history: History;
}

/** Where the parts deliver: the sink once started, nothing before or after. */
interface Outlet {
  sink: EngineSink | null;
}

class MemoryBroker implements Broker, HistoryStore {
  /** Rooms that have had a message. */
  readonly streams = new Map<string, Stream>();
  private readonly sent = new CidCache<MessageFrame>();

  constructor(
    private readonly out: Outlet,
    private readonly historySize: number,
    /** The epoch of every room: new with each process, so a restart tells clients their seqs are void. */
    readonly epoch: string,
  ) {}

  publish(room: string, draft: MessageDraft, key?: SendKey): Published {
    const seen = key && this.sent.get(key);
    if (seen) return { message: seen, duplicate: true };
    let s = this.streams.get(room);
    if (!s) this.streams.set(room, (s = { seq: 0, history: new History(this.historySize) }));
    const message: MessageFrame = { type: "message", room, seq: ++s.seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
    s.history.push(message);
    if (key) this.sent.set(key, message);
    this.out.sink?.publishRoom(room, encode(message));
    return { message, duplicate: false };
  }

  signal(room: string, data: string): void {
    this.out.sink?.publishRoom(room, data);
  }

  sendToUser(userId: string, frame: DirectMessageFrame, exceptConn?: string): void {
    this.out.sink?.sendToUser(userId, encode(frame), exceptConn);
  }

  control(msg: ControlMessage): void {
    this.out.sink?.control(msg);
  }

  position(room: string): StreamPosition {
    return { seq: this.streams.get(room)?.seq ?? 0, epoch: this.epoch };
  }

  page(room: string, query: HistoryQuery): HistoryPage {
    const s = this.streams.get(room);
    const { messages, more } = s ? s.history.page(query) : { messages: [], more: false };
    return { seq: s?.seq ?? 0, epoch: this.epoch, messages, more };
  }
}

class MemoryPresence implements PresenceStore {
  /** Rooms with members. */
  private readonly byRoom = new Map<string, MemberList>();

  constructor(
    private readonly out: Outlet,
    /** This node: the origin of every change (there is no other). */
    private readonly nodeId: string,
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
  }

  page(room: string, after: string | undefined, limit: number): MemberPage {
    return this.byRoom.get(room)?.page(after, limit) ?? { count: 0, users: [] };
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
  private readonly names = new Map<string, Member>();
  /** user id → the key it last claimed (checked against `names` on lookup, so never stale). */
  private readonly byUser = new Map<string, string>();

  claim(key: string, member: Member): boolean {
    const holder = this.names.get(key);
    if (holder && holder.id !== member.id) return false;
    this.names.set(key, member);
    this.byUser.set(member.id, key);
    return true;
  }

  release(key: string, memberId: string): void {
    if (this.names.get(key)?.id !== memberId) return;
    this.names.delete(key);
    if (this.byUser.get(memberId) === key) this.byUser.delete(memberId);
  }

  lookup(key: string): Member | null {
    return this.names.get(key) ?? null;
  }

  lookupUser(userId: string): Member | null {
    const key = this.byUser.get(userId);
    const m = key === undefined ? undefined : this.names.get(key);
    return m?.id === userId ? m : null;
  }
}

export class MemoryEngine implements Engine {
  readonly nodeId: string;
  readonly broker: MemoryBroker;
  readonly history: MemoryBroker;
  readonly presence: MemoryPresence;
  readonly names = new MemoryNames();
  private readonly out: Outlet = { sink: null };

  constructor(opts: MemoryEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().slice(0, 8);
    this.broker = this.history = new MemoryBroker(this.out, opts.historySize, crypto.randomUUID().replaceAll("-", "").slice(0, 16));
    this.presence = new MemoryPresence(this.out, this.nodeId);
  }

  get ready(): boolean {
    return this.out.sink !== null;
  }

  async start(sink: EngineSink): Promise<void> {
    this.out.sink = sink;
  }

  /** Messages held in every room's history (the hubbub_history_messages metric). */
  historyMessages(): number {
    let n = 0;
    for (const s of this.broker.streams.values()) n += s.history.size;
    return n;
  }

  /** Rooms the engine holds anything for (tests: that empty rooms are dropped). */
  get roomCount(): { streams: number; presence: number } {
    return { streams: this.broker.streams.size, presence: this.presence.roomCount };
  }

  async close(): Promise<void> {
    this.out.sink = null;
  }
}
