// Outbox: the chat and direct messages the app sent that have not settled yet, oldest first.
// Each carries a `cid` (client message id) chosen once, when the app calls send()/direct():
// - queued: not written on the current connection (offline, or pacing to the rate limit);
// - sent: written, waiting for the one reply with its ref (an `ack`, the sender's copy of the
//   `direct`, or an `error`).
// When the link drops, sent entries are "in doubt": the server may have published some. They go
// back to queued, ahead of the newer ones, and are written again after the reconnect with the
// same cid. The server remembers recent cids per user (IDEMPOTENCY_WINDOW_MS, on every node),
// so a retry of a send it already published is not published again: it is answered with the
// original ack (same seq and id). Unlike matching by text or connection id, this holds with
// tokens (one user id for every tab and connection) and with identical texts.
// The one case a retry could publish twice is a send first written longer ago than the
// server's memory lasts; such a send fails with delivery_unknown instead.
import type { AckFrame, ChatFrame, DirectFrame, DirectMessageFrame, ServerFrame } from "../shared/protocol.ts";
import { IDEMPOTENCY_WINDOW_MS } from "../shared/limits.ts";
import { ClientErrorCode, HubbubError } from "./errors.ts";
import { refOf } from "./requests.ts";

/**
 * Past this age (ms since first written) an in-doubt send is not retried. The server keeps a
 * cid for IDEMPOTENCY_WINDOW_MS; the minute of margin covers the time between our write and the
 * server's read, and the reconnect itself.
 */
export const RESEND_WINDOW_MS = IDEMPOTENCY_WINDOW_MS - 60 * 1000;

interface Common {
  /** The ref of its frame; replies are matched on it (unique within this client). */
  readonly ref: string;
  readonly cid: string;
  state: "queued" | "sent";
  /** When it was first written (ms), null while never written. */
  firstSentAt: number | null;
  reject(err: unknown): void;
}
interface ChatEntry extends Common {
  readonly kind: "chat";
  readonly frame: ChatFrame & { room: string; ref: string; cid: string };
  resolve(ack: AckFrame): void;
}
interface DirectEntry extends Common {
  readonly kind: "direct";
  readonly frame: DirectFrame & { ref: string; cid: string };
  resolve(frame: DirectMessageFrame): void;
}
export type OutboxEntry = ChatEntry | DirectEntry;

export class Outbox {
  private entries: OutboxEntry[] = [];
  private counter = 0;

  /** @param cidPrefix unique per client instance: a user's tabs share one user id, so their cids must differ. */
  constructor(private readonly cidPrefix: string) {}

  chat(text: string, room: string): Promise<AckFrame> {
    return new Promise((resolve, reject) => {
      const { ref, cid } = this.ids();
      this.entries.push({ kind: "chat", ref, cid, state: "queued", firstSentAt: null, frame: { type: "chat", text, room, cid, ref }, resolve, reject });
    });
  }

  direct(to: string, text: string): Promise<DirectMessageFrame> {
    return new Promise((resolve, reject) => {
      const { ref, cid } = this.ids();
      this.entries.push({ kind: "direct", ref, cid, state: "queued", firstSentAt: null, frame: { type: "direct", to, text, cid, ref }, resolve, reject });
    });
  }

  /** Entries waiting to be written, oldest first. */
  queued(): OutboxEntry[] {
    return this.entries.filter((e) => e.state === "queued");
  }

  get size(): number {
    return this.entries.length;
  }

  markSent(e: OutboxEntry, now = Date.now()): void {
    e.state = "sent";
    e.firstSentAt ??= now;
  }

  /** Offers an inbound frame; true when it was the reply to a sent entry (now settled). */
  offer(f: ServerFrame): boolean {
    const ref = refOf(f);
    if (ref === undefined) return false;
    const i = this.entries.findIndex((e) => e.ref === ref && e.state === "sent");
    if (i < 0) return false;
    const e = this.entries[i]!;
    if (f.type === "error") e.reject(new HubbubError(f.code, f.message));
    else if (e.kind === "chat" && f.type === "ack") e.resolve(f);
    else if (e.kind === "direct" && f.type === "direct") e.resolve(f);
    else return false;
    this.entries.splice(i, 1);
    return true;
  }

  /** The link dropped: sends in flight are in doubt and go back to the queue, in their order. */
  disconnected(now = Date.now()): void {
    for (const e of [...this.entries]) {
      if (e.state !== "sent") continue;
      if (now - e.firstSentAt! > RESEND_WINDOW_MS) {
        this.entries.splice(this.entries.indexOf(e), 1);
        e.reject(new HubbubError(ClientErrorCode.DeliveryUnknown, "sent too long ago to retry safely: it may or may not have been delivered"));
      } else e.state = "queued";
    }
  }

  /** Fails every entry (the client closed, or was refused for good). */
  failAll(err: HubbubError): void {
    const all = this.entries;
    this.entries = [];
    for (const e of all) e.reject(err);
  }

  private ids(): { ref: string; cid: string } {
    const n = (++this.counter).toString(36);
    return { ref: `m${n}`, cid: `${this.cidPrefix}.${n}` };
  }
}
