// MemoryStream: the StreamStore that keeps each room's last HISTORY_SIZE entries in a ring
// (history.ts), and its seq once it has had a message (so its numbering never restarts while
// the process lives: one epoch per process serves every room). Synchronous throughout, so with
// it a chat message is published, delivered and acked inside Bun's handler.
import { CidCache } from "../cid-cache.ts";
import { History } from "../history.ts";
import type { MessageFrame } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import { applyEvent, hasReacted } from "../shared/stream.ts";
import type { Applied, EventDraft, HistoryPage, HistoryQuery, MessageDraft, Published, SendKey, StreamPosition } from "./engine.ts";
import { eventFrame, type Deliver, type StreamStore } from "./stream-store.ts";

interface Stream {
  seq: number;
  readonly history: History;
}

export class MemoryStream implements StreamStore {
  /** Rooms that have had a message. */
  private readonly streams = new Map<string, Stream>();
  private readonly sent = new CidCache<MessageFrame>();
  private deliver: Deliver | null = null;

  constructor(
    private readonly historySize: number,
    /** The epoch of every room: new with each process, so a restart tells clients their seqs are void. */
    readonly epoch: string = crypto.randomUUID().replaceAll("-", "").slice(0, 16),
  ) {}

  attach(deliver: Deliver | null): void {
    this.deliver = deliver;
  }

  publish(room: string, draft: MessageDraft, key?: SendKey): Published {
    const seen = key && this.sent.get(key);
    if (seen) return { message: seen, duplicate: true };
    let s = this.streams.get(room);
    if (!s) this.streams.set(room, (s = { seq: 0, history: new History(this.historySize) }));
    const message: MessageFrame = { type: "message", room, seq: ++s.seq, id: draft.id, ts: draft.ts, from: draft.from, kind: draft.kind, text: draft.text };
    s.history.push(message);
    if (key) this.sent.set(key, message);
    this.deliver?.(room, encode(message));
    return { message, duplicate: false };
  }

  apply(room: string, d: EventDraft): Applied {
    const s = this.streams.get(room);
    const m = s?.history.find(d.id);
    if (!s || !m || m.deleted) return { ok: false, reason: "not_found" };
    if (d.type === "react" && hasReacted(m, d.emoji, d.by.id) === d.on) return { ok: true, event: null };
    const event = eventFrame(room, ++s.seq, d);
    s.history.replace(applyEvent(m, event));
    if (event.type === "deleted") s.history.eraseEdits(event.id);
    s.history.push(event);
    this.deliver?.(room, encode(event));
    return { ok: true, event };
  }

  position(room: string): StreamPosition {
    return { seq: this.streams.get(room)?.seq ?? 0, epoch: this.epoch };
  }

  page(room: string, query: HistoryQuery): HistoryPage {
    const s = this.streams.get(room);
    const { messages, more } = s ? s.history.page(query) : { messages: [], more: false };
    return { seq: s?.seq ?? 0, epoch: this.epoch, messages, more };
  }

  message(room: string, id: string): MessageFrame | null {
    return this.streams.get(room)?.history.find(id) ?? null;
  }

  held(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.history.size;
    return n;
  }

  get roomCount(): number {
    return this.streams.size;
  }

  async close(): Promise<void> {
    this.deliver = null;
  }
}
