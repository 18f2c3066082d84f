// Outbox: the chat and direct messages the app sent that have not settled yet, oldest first.
// Each goes onto the wire once, and is written again only when it provably never arrived:
// - queued: not written yet (the client is not connected, or is pacing to the rate limit);
// - sent: written on connection `connId`, waiting for its ack (chat) or echo (direct).
// When a link drops, sent chats are "in doubt": the server may have published some of them.
// After the reconnect has replayed every room, each in-doubt chat is matched against the
// messages of its old connection (seen live before the drop, or in the replay); a match
// settles it with that message's seq, the rest go back to queued and are sent once more.
// Directs have no history to check, so a direct in flight at a drop fails with
// connection_lost instead of risking a second delivery.
import type { ChatFrame, DirectFrame, DirectMessageFrame, MessageFrame, ServerFrame } from "../shared/protocol.ts";
import { HubbubError, ClientErrorCode } from "./errors.ts";
import type { ExpectedMessage } from "./lines.ts";

export type AckFrame = Extract<ServerFrame, { type: "ack" }>;
type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

interface Common {
  readonly ref: string;
  state: "queued" | "sent";
  /** The connection (welcome id) it was written on, once sent. */
  connId: string | null;
  reject(err: unknown): void;
}
interface ChatEntry extends Common {
  readonly kind: "chat";
  readonly frame: ChatFrame & { room: string; ref: string };
  readonly expect: ExpectedMessage;
  resolve(ack: AckFrame): void;
}
interface DirectEntry extends Common {
  readonly kind: "direct";
  readonly frame: DirectFrame & { ref: string };
  /** Sent to one's own name: the server echoes it without the ref. */
  readonly toSelf: boolean;
  resolve(frame: DirectMessageFrame): void;
}
export type OutboxEntry = ChatEntry | DirectEntry;

const seqKey = (room: string, seq: number) => `${room}\n${seq}`;

export class Outbox {
  private entries: OutboxEntry[] = [];
  private counter = 0;
  /** Own messages of connections that still have chats in flight, not yet claimed by an ack. */
  private own: MessageFrame[] = [];
  /** Acks that arrived before their message was delivered (the room was syncing). */
  private ackedEarly = new Set<string>();

  chat(text: string, room: string, expect: ExpectedMessage): Promise<AckFrame> {
    return new Promise((resolve, reject) => {
      const ref = `m${++this.counter}`;
      this.entries.push({ kind: "chat", ref, state: "queued", connId: null, frame: { type: "chat", text, room, ref }, expect, resolve, reject });
    });
  }

  direct(to: string, text: string, toSelf: boolean): Promise<DirectMessageFrame> {
    return new Promise((resolve, reject) => {
      const ref = `m${++this.counter}`;
      this.entries.push({ kind: "direct", ref, state: "queued", connId: null, frame: { type: "direct", to, text, ref }, toSelf, resolve, reject });
    });
  }

  /** Entries waiting to be written, oldest first. */
  queued(): OutboxEntry[] {
    return this.entries.filter((e) => e.state === "queued");
  }

  get size(): number {
    return this.entries.length;
  }

  markSent(e: OutboxEntry, connId: string): void {
    e.state = "sent";
    e.connId = connId;
  }

  ack(f: AckFrame): void {
    const e = this.take((x) => x.ref === f.ref && x.kind === "chat");
    if (!e) return;
    const i = this.own.findIndex((m) => m.room === f.room && m.seq === f.seq);
    if (i >= 0) this.own.splice(i, 1);
    else this.ackedEarly.add(seqKey(f.room, f.seq));
    (e as ChatEntry).resolve(f);
    this.prune();
  }

  /** An error frame that carries one of our refs: that entry failed. */
  error(f: ErrorFrame): void {
    const e = f.ref === undefined ? undefined : this.take((x) => x.ref === f.ref);
    e?.reject(new HubbubError(f.code, f.message));
    this.prune();
  }

  /** A direct frame: settles the direct it echoes. */
  directEcho(f: DirectMessageFrame, myId: string | null): void {
    const self = f.ref === undefined && f.from.id === myId && f.to.id === myId;
    const e = this.take((x) => x.kind === "direct" && x.state === "sent" && (x.ref === f.ref || (self && x.toSelf)));
    (e as DirectEntry | undefined)?.resolve(f);
  }

  /** A room message was delivered: remember it if it may be one of our chats in flight. */
  observe(m: MessageFrame): void {
    if (this.ackedEarly.delete(seqKey(m.room, m.seq))) return;
    if (this.entries.some((e) => e.kind === "chat" && e.state === "sent" && e.connId === m.from.id)) this.own.push(m);
  }

  /** The link dropped: directs in flight fail; chats in flight wait for settleInDoubt(). */
  disconnected(): void {
    for (const e of this.entries.filter((x) => x.kind === "direct" && x.state === "sent")) {
      this.take((x) => x === e);
      e.reject(new HubbubError(ClientErrorCode.ConnectionLost, "the connection dropped before the server confirmed this direct message"));
    }
  }

  /**
   * After a reconnect has synced every room: settles each chat sent on an older connection
   * by the first unclaimed matching message of that connection (in send order), re-queues
   * the rest, and fails those of rooms whose history had a gap (nothing can tell).
   */
  settleInDoubt(currentConnId: string, gapRooms: ReadonlySet<string>): void {
    const lastSeq = new Map<string, number>();
    for (const e of [...this.entries]) {
      if (e.kind !== "chat" || e.state !== "sent" || e.connId === currentConnId) continue;
      const room = e.frame.room;
      const after = lastSeq.get(`${e.connId}\n${room}`) ?? 0;
      const i = this.own.findIndex(
        (m) => m.from.id === e.connId && m.room === room && m.seq > after && m.kind === e.expect.kind && m.text === e.expect.text,
      );
      if (i >= 0) {
        const [m] = this.own.splice(i, 1);
        lastSeq.set(`${e.connId}\n${room}`, m!.seq);
        this.take((x) => x === e);
        e.resolve({ type: "ack", ref: e.ref, room, seq: m!.seq, id: m!.id });
      } else if (gapRooms.has(room)) {
        this.take((x) => x === e);
        e.reject(new HubbubError(ClientErrorCode.DeliveryUnknown, `room ${room} lost history while this message was in flight`));
      } else {
        e.state = "queued";
        e.connId = null;
      }
    }
    this.prune();
  }

  /** Fails every entry (the client closed, or was refused for good). */
  failAll(err: HubbubError): void {
    const all = this.entries;
    this.entries = [];
    for (const e of all) e.reject(err);
    this.prune();
  }

  private take(pred: (e: OutboxEntry) => boolean): OutboxEntry | undefined {
    const i = this.entries.findIndex(pred);
    return i < 0 ? undefined : this.entries.splice(i, 1)[0];
  }

  /** Drops remembered messages once no chat is in flight on their connection. */
  private prune(): void {
    const live = new Set(this.entries.filter((e) => e.kind === "chat" && e.state === "sent").map((e) => e.connId));
    this.own = this.own.filter((m) => live.has(m.from.id));
    if (live.size === 0) this.ackedEarly.clear();
  }
}
