// MessageList: the messages of one room a client holds, in seq order and in their current
// state. Live and replayed messages are appended, older pages (loadOlder) prepended, and every
// edit, delete and reaction is applied as it arrives (shared/stream.ts, idempotent), so an app
// renders `messages(room)` and re-renders on `changed`. Bounded: past MAX_KEPT_MESSAGES the
// oldest go, as a chat view forgets what was scrolled far away.
import type { MessageFrame, StreamEvent } from "../shared/protocol.ts";
import { applyEvent } from "../shared/stream.ts";

/** A room's list holds at most this many messages; live ones push the oldest out. */
export const MAX_KEPT_MESSAGES = 10_000;

export class MessageList {
  private items: MessageFrame[] = [];
  /** Whether the server keeps older messages than the first held (unknown until a page said). */
  olderKept = true;

  get messages(): readonly MessageFrame[] {
    return this.items;
  }

  /** The oldest held seq, or undefined when empty. */
  get oldestSeq(): number | undefined {
    return this.items[0]?.seq;
  }

  /** A newer message (the client's stream delivers in seq order). */
  append(m: MessageFrame): void {
    const last = this.items.at(-1);
    if (last && m.seq <= last.seq) return this.insert([m]);
    this.items.push(m);
    if (this.items.length > MAX_KEPT_MESSAGES) {
      this.items.splice(0, this.items.length - MAX_KEPT_MESSAGES);
      this.olderKept = true;
    }
  }

  /** Older messages (a scrollback page), merged in seq order, each seq once. */
  insert(ms: readonly MessageFrame[]): void {
    const bySeq = new Map(this.items.map((m) => [m.seq, m]));
    for (const m of ms) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
    this.items = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Applies a change; returns the changed message, or null when it is not held. */
  apply(e: StreamEvent): MessageFrame | null {
    const i = this.items.findLastIndex((m) => m.id === e.id);
    if (i < 0) return null;
    const next = applyEvent(this.items[i]!, e);
    this.items[i] = next;
    return next;
  }

  /** The room's numbering restarted: nothing held is comparable any more. Returns what was held. */
  clear(): readonly MessageFrame[] {
    const previous = this.items;
    this.items = [];
    this.olderKept = true;
    return previous;
  }
}
