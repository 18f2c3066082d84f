// MemoryEngine: the single-node Engine. Everything lives in this process; delivery is Bun's
// topic publish, so a room message is serialised once and written by native code.
import type { DirectMessageFrame, Member, MessageFrame } from "../protocol.ts";
import { encode } from "../protocol.ts";
import { History } from "../history.ts";
import type { Engine, EngineSink, MessageDraft, RoomSnapshot } from "./engine.ts";

interface Room {
  seq: number;
  readonly history: History;
  readonly members: Map<string, Member>;
}

export interface MemoryEngineOptions {
  /** Messages kept per room (HISTORY_SIZE). */
  historySize: number;
  /** Node id; random when absent. */
  nodeId?: string;
}

export class MemoryEngine implements Engine {
  readonly nodeId: string;
  private readonly rooms = new Map<string, Room>();
  private readonly names = new Map<string, Member>();
  private sink: EngineSink | null = null;

  constructor(private readonly opts: MemoryEngineOptions) {
    this.nodeId = opts.nodeId ?? crypto.randomUUID().slice(0, 8);
  }

  get ready(): boolean {
    return this.sink !== null;
  }

  async start(sink: EngineSink): Promise<void> {
    this.sink = sink;
  }

  private room(name: string): Room {
    let r = this.rooms.get(name);
    if (!r) {
      r = { seq: 0, history: new History(this.opts.historySize), members: new Map() };
      this.rooms.set(name, r);
    }
    return r;
  }

  publish(room: string, draft: MessageDraft): MessageFrame {
    const r = this.room(room);
    const msg: MessageFrame = { type: "message", room, seq: ++r.seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
    r.history.push(msg);
    this.sink?.publishRoom(room, encode(msg));
    return msg;
  }

  history(room: string, since?: number, limit?: number): MessageFrame[] {
    return this.rooms.get(room)?.history.since(since, limit) ?? [];
  }

  snapshot(room: string): RoomSnapshot {
    const r = this.rooms.get(room);
    return { seq: r?.seq ?? 0, users: r ? [...r.members.values()] : [] };
  }

  join(room: string, member: Member): void {
    this.room(room).members.set(member.id, member);
    this.sink?.presence(room, [member], []);
  }

  leave(room: string, member: Member): void {
    const r = this.rooms.get(room);
    if (!r?.members.delete(member.id)) return;
    this.sink?.presence(room, [], [member]);
  }

  claimName(key: string, member: Member): boolean {
    const holder = this.names.get(key);
    if (holder && holder.id !== member.id) return false;
    this.names.set(key, member);
    return true;
  }

  releaseName(key: string, memberId: string): void {
    if (this.names.get(key)?.id === memberId) this.names.delete(key);
  }

  lookupName(key: string): Member | null {
    return this.names.get(key) ?? null;
  }

  sendDirect(toId: string, frame: DirectMessageFrame): void {
    this.sink?.sendToUser(toId, encode(frame));
  }

  /** Messages held in every room's history (the hubbub_history_messages metric). */
  historyMessages(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.history.size;
    return n;
  }

  async close(): Promise<void> {
    this.sink = null;
  }
}
