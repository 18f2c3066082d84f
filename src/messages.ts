// Messages: chat into a room and direct messages between users. A send that carries a `cid` is
// idempotent: a retry (after a reconnect, on any node; the engine keeps the keys) gets the
// original answer and is not published again. The sender's answer is the `ack` (chat) or its
// own copy of the `direct`.
// The session-independent half (checkText, postAs, directAs) is what the server API calls;
// a connection's requests go through the same code. With MESSAGE_HOOK_URL a connection's chat
// waits for the backend's verdict first (webhooks/message-hook.ts); without it, nothing waits.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Config } from "./config.ts";
import type { Engine } from "./engine/engine.ts";
import { nameKey, normalizeName } from "./names.ts";
import type { RoomAccess } from "./room-access.ts";
import type { Rooms } from "./rooms.ts";
import { ErrorCode } from "./shared/codes.ts";
import type { DirectMessageFrame, Member, MessageKind, Ref } from "./shared/protocol.ts";
import { codePointLength } from "./shared/protocol.ts";
import type { Session } from "./session.ts";
import type { Published, SendKey } from "./engine/engine.ts";
import type { MessageHook } from "./webhooks/message-hook.ts";

/** Why a text cannot be sent, in the protocol's terms. */
export interface TextProblem {
  code: ErrorCode;
  message: string;
}

export class Messages {
  private counter = 0;

  constructor(
    private readonly rooms: Rooms,
    private readonly engine: Engine,
    private readonly config: Config,
    /** The application's message hook; null when MESSAGE_HOOK_URL is unset. */
    private readonly hook: MessageHook | null = null,
    /** A member's message is going out to `room` (typing.ts drops their waiting typing report). */
    private readonly spoke: (room: string, userId: string) => void = () => {},
    /** Mutes, moderated rooms and slowmode (room-access.ts); null: anyone in a room may post. */
    private readonly access: RoomAccess | null = null,
  ) {}

  /** A message id unique in the cluster: the node id and a counter. */
  nextId(): string {
    return `${this.engine.nodeId}-${(this.counter++).toString(36)}`;
  }

  /** Publishes a chat message to a room the session is in, and acks it when it carried a ref. */
  say(s: Session, rawRoom: string | undefined, kind: MessageKind, text: string, cid: string | undefined, ref: Ref | undefined): Awaitable<void> {
    if (!this.checkTextFor(s, text, ref)) return;
    const room = this.rooms.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    const key = cid === undefined ? undefined : { userId: s.userId, cid };
    if (this.access === null) return this.deliverChat(s, room, kind, text, key, ref);
    return andThen(this.access.post(s, room), (no) => (no ? s.fail(no.code, no.message, ref) : this.deliverChat(s, room, kind, text, key, ref)));
  }

  /** A chat the room lets through: past the message hook if there is one, then published. */
  private deliverChat(s: Session, room: string, kind: MessageKind, text: string, key: SendKey | undefined, ref: Ref | undefined): Awaitable<void> {
    if (!this.hook) return this.publishChat(s, room, kind, text, key, ref);
    // A rejection is the sender's doing and counts as a strike, like any refused frame; a hook
    // that failed closed is not, and does not.
    return this.hook.check({ room, from: s.member, kind, text }).then((verdict) => {
      if (verdict.ok) return this.publishChat(s, room, kind, verdict.text, key, ref);
      if (verdict.code === ErrorCode.Rejected) return s.fail(verdict.code, verdict.message, ref);
      return s.reject(verdict.code, verdict.message, ref);
    });
  }

  private publishChat(s: Session, room: string, kind: MessageKind, text: string, key: SendKey | undefined, ref: Ref | undefined): Awaitable<void> {
    this.spoke(room, s.userId);
    return andThen(this.postAs(room, s.member, kind, text, key), ({ message: m }) => {
      if (ref === undefined) return;
      s.send(key === undefined ? { type: "ack", ref, room: m.room, seq: m.seq, id: m.id } : { type: "ack", ref, room: m.room, seq: m.seq, id: m.id, cid: key.cid });
    });
  }

  /** Publishes into `room` as `from` (a connection's member, or a server identity). */
  postAs(room: string, from: Member, kind: MessageKind, text: string, key?: SendKey): Awaitable<Published> {
    return this.rooms.post(room, { id: this.nextId(), ts: Date.now(), from, kind, text }, key);
  }

  /**
   * A direct message from `from` to every connection of `target`, on any node; `fromConn` (the
   * sending connection) is left out of the sender's copies. Idempotent per `key`. Answers the
   * sender's copy (with the cid), and whether it was a retry (then nothing was sent).
   */
  directAs(from: Member, target: Member, text: string, key?: SendKey, fromConn?: string): Awaitable<{ frame: DirectMessageFrame; duplicate: boolean }> {
    const frame: DirectMessageFrame = { type: "direct", id: this.nextId(), ts: Date.now(), from, to: target, text };
    // The cid is the sender's business: their own connections' copies carry it, the recipient's not.
    const mine: DirectMessageFrame = key === undefined ? frame : { ...frame, cid: key.cid };
    const to = target.id === from.id ? null : target.id;
    return andThen(this.engine.broker.direct({ to, frame, from: from.id, mine, exceptConn: fromConn, key }), (seen) => (seen ? { frame: seen, duplicate: true } : { frame: mine, duplicate: false }));
  }

  /** Whether `text` may be sent: not blank, at most MAX_TEXT_LENGTH code points. */
  checkText(text: string): TextProblem | null {
    return textProblem(text, this.config.maxTextLength);
  }

  /**
   * Sends a direct message to the user named `to`, on any node. It reaches every connection of
   * the recipient and every other connection of the sender; the sending connection gets its
   * copy with the `ref`.
   */
  direct(s: Session, to: string, text: string, cid: string | undefined, ref: Ref | undefined): Awaitable<void> {
    if (!this.checkTextFor(s, text, ref)) return;
    const key = cid === undefined ? undefined : { userId: s.userId, cid };
    const name = normalizeName(to);
    return andThen(name === null ? null : this.engine.names.lookup(nameKey(name)), (target) => {
      if (target !== null) return andThen(this.directAs(s.member, target, text, key, s.conn), ({ frame }) => s.send(withRef(frame, ref)));
      const unknown = () => s.fail(ErrorCode.NoSuchUser, `no user is called ${to.slice(0, 64)}`, ref);
      // A retry whose recipient left after the first send still gets the first send's answer.
      if (key === undefined) return unknown();
      return andThen(this.engine.broker.sentDirect(key), (seen) => (seen ? s.send(withRef(seen, ref)) : unknown()));
    });
  }

  private checkTextFor(s: Session, text: string, ref: Ref | undefined): boolean {
    return checkText(s, text, this.config.maxTextLength, ref);
  }
}

/** Why `text` may not be posted (blank, or over `max` code points), or null when it may. */
export function textProblem(text: string, max: number): TextProblem | null {
  if (text.trim().length === 0) return { code: ErrorCode.InvalidMessage, message: "text must not be empty" };
  if (text.length > max && codePointLength(text) > max) return { code: ErrorCode.TextTooLong, message: `text is over ${max} characters` };
  return null;
}

/** Whether `text` may be posted by `s`; answers the refusal (with the ref) otherwise. */
export function checkText(s: Session, text: string, max: number, ref: Ref | undefined): boolean {
  const problem = textProblem(text, max);
  if (problem) s.fail(problem.code, problem.message, ref);
  return problem === null;
}

function withRef(frame: DirectMessageFrame, ref: Ref | undefined): DirectMessageFrame {
  return ref === undefined ? frame : { ...frame, ref };
}
