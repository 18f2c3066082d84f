// Messages: chat into a room and direct messages between users. A send that carries a `cid` is
// idempotent: a retry (after a reconnect, on any node) gets the original ack and is not
// published again. The sender's answer is the `ack` (chat) or its own copy of the `direct`.
import { andThen, type Awaitable } from "./awaitable.ts";
import { CidCache } from "./cid-cache.ts";
import type { Config } from "./config.ts";
import type { Engine } from "./engine/engine.ts";
import { nameKey, normalizeName } from "./names.ts";
import type { Rooms } from "./rooms.ts";
import { ErrorCode } from "./shared/codes.ts";
import type { DirectMessageFrame, MessageKind, Ref } from "./shared/protocol.ts";
import { codePointLength } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

export class Messages {
  private counter = 0;
  /** Direct messages are not stored, so their cids are remembered here (per node). */
  private readonly directs = new CidCache<DirectMessageFrame>();

  constructor(
    private readonly rooms: Rooms,
    private readonly engine: Engine,
    private readonly config: Config,
  ) {}

  /** A message id unique in the cluster: the node id and a counter. */
  nextId(): string {
    return `${this.engine.nodeId}-${(this.counter++).toString(36)}`;
  }

  /** Publishes a chat message to a room the session is in, and acks it when it carried a ref. */
  say(s: Session, rawRoom: string | undefined, kind: MessageKind, text: string, cid: string | undefined, ref: Ref | undefined): Awaitable<void> {
    if (!this.checkText(s, text, ref)) return;
    const room = this.rooms.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    const draft = { id: this.nextId(), ts: Date.now(), from: s.member, kind, text };
    return andThen(this.rooms.post(room, draft, cid === undefined ? undefined : { userId: s.userId, cid }), ({ message: m }) => {
      if (ref === undefined) return;
      s.send(cid === undefined ? { type: "ack", ref, room: m.room, seq: m.seq, id: m.id } : { type: "ack", ref, room: m.room, seq: m.seq, id: m.id, cid });
    });
  }

  /**
   * Sends a direct message to the user named `to`, on any node. It reaches every connection of
   * the recipient and every other connection of the sender; the sending connection gets its
   * copy with the `ref`.
   */
  direct(s: Session, to: string, text: string, cid: string | undefined, ref: Ref | undefined): Awaitable<void> {
    if (!this.checkText(s, text, ref)) return;
    const key = cid === undefined ? undefined : { userId: s.userId, cid };
    const seen = key && this.directs.get(key);
    if (seen) return s.send(withRef(seen, ref));
    const name = normalizeName(to);
    return andThen(name === null ? null : this.engine.names.lookup(nameKey(name)), (target) => {
      if (target === null) return s.fail(ErrorCode.NoSuchUser, `no user is called ${to.slice(0, 64)}`, ref);
      const frame: DirectMessageFrame = { type: "direct", id: this.nextId(), ts: Date.now(), from: s.member, to: target, text };
      // The cid is the sender's business: their own connections' copies carry it, the recipient's not.
      const mine: DirectMessageFrame = cid === undefined ? frame : { ...frame, cid };
      if (key) this.directs.set(key, mine);
      const toRecipient = target.id === s.userId ? undefined : this.engine.broker.sendToUser(target.id, frame);
      return andThen(toRecipient, () =>
        andThen(this.engine.broker.sendToUser(s.userId, mine, s.conn), () => s.send(withRef(mine, ref))),
      );
    });
  }

  private checkText(s: Session, text: string, ref: Ref | undefined): boolean {
    return checkText(s, text, this.config.maxTextLength, ref);
  }
}

/** Whether `text` may be posted (not blank, at most `max` code points); answers the refusal otherwise. */
export function checkText(s: Session, text: string, max: number, ref: Ref | undefined): boolean {
  if (text.trim().length === 0) {
    s.fail(ErrorCode.InvalidMessage, "text must not be empty", ref);
    return false;
  }
  if (text.length > max && codePointLength(text) > max) {
    s.fail(ErrorCode.TextTooLong, `text is over ${max} characters`, ref);
    return false;
  }
  return true;
}

function withRef(frame: DirectMessageFrame, ref: Ref | undefined): DirectMessageFrame {
  return ref === undefined ? frame : { ...frame, ref };
}
