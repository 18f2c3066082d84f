// MessageEdits: changes to stored messages, for connections and for the server itself. Who may
// change what is decided here, in one place: only a message's author edits it, its author or a
// moderator of the room (room-rules.ts) deletes it, any member of the room reacts; a room's
// record of its own changes (a `room` message) takes no changes at all. The engine then
// applies the change atomically with a check that the message is still there (not deleted
// meanwhile), gives it the room's next seq and delivers it; the requester's answer is `ok`.
// The author of a message never changes, so checking it before the apply leaves no race.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Config } from "./config.ts";
import type { Engine, EventDraft } from "./engine/engine.ts";
import { checkText } from "./messages.ts";
import { RoomAccess } from "./room-access.ts";
import { moderates } from "./room-rules.ts";
import type { Rooms } from "./rooms.ts";
import { ErrorCode } from "./shared/codes.ts";
import type { Member, MessageFrame, Ref, StreamEvent } from "./shared/protocol.ts";
import { noEvents, type EventSink } from "./webhooks/events.ts";
import type { Session } from "./session.ts";

/** Who may make a change to message `m`: the author only, the author or a moderator, or any member. */
type Rule = "author" | "moderator" | "member";

export class MessageEdits {
  constructor(
    private readonly rooms: Rooms,
    private readonly engine: Engine,
    private readonly config: Config,
    /** Where message.edited, message.deleted and reaction.changed go (webhooks); nowhere by default. */
    private readonly events: EventSink = noEvents,
    /** Who moderates which room; null: nobody but the author deletes. */
    private readonly access: RoomAccess | null = null,
  ) {}

  edit(s: Session, rawRoom: string, id: string, text: string, ref?: Ref): Awaitable<void> {
    if (!checkText(s, text, this.config.maxTextLength, ref)) return;
    return this.change(s, rawRoom, id, "author", ref, () => ({ type: "edit", id, ts: Date.now(), by: s.member, text }));
  }

  delete(s: Session, rawRoom: string, id: string, ref?: Ref): Awaitable<void> {
    return this.change(s, rawRoom, id, "moderator", ref, () => ({ type: "delete", id, ts: Date.now(), by: s.member }));
  }

  react(s: Session, rawRoom: string, id: string, emoji: string, on: boolean, ref?: Ref): Awaitable<void> {
    return this.change(s, rawRoom, id, "member", ref, () => ({ type: "react", id, ts: Date.now(), by: s.member, emoji, on }));
  }

  /**
   * The server's own delete (the server API): any message of the room, by a server identity,
   * through the same check-and-apply a member's delete goes through.
   */
  deleteAs(room: string, id: string, by: Member): Awaitable<ChangeOutcome> {
    return this.apply(room, id, null, () => ({ type: "delete", id, ts: Date.now(), by }));
  }

  private change(s: Session, rawRoom: string, id: string, rule: Rule, ref: Ref | undefined, draft: () => EventDraft): Awaitable<void> {
    const room = this.rooms.memberRoom(s, rawRoom, ref);
    if (room === null) return;
    const moderator = rule === "moderator" && this.access ? andThen(this.access.state(room), (st) => moderates(st, RoomAccess.actor(s))) : false;
    return andThen(moderator, (mod) => andThen(this.apply(room, id, rule === "member" || mod ? null : s.userId, draft), (r) => {
      if (!r.ok) return s.fail(r.code, r.message, ref);
      if (ref !== undefined) s.send({ type: "ok", ref });
    }));
  }

  private report(e: StreamEvent): void {
    if (this.events === noEvents) return;
    const [type, data] = eventOf(e);
    this.events.emit(type, data, "ts" in e ? e.ts : Date.now());
  }

  /** Checks the message (kept, not deleted, by `author` when one is required), then has the engine apply the change. */
  private apply(room: string, id: string, author: string | null, draft: () => EventDraft): Awaitable<ChangeOutcome> {
    return andThen(this.engine.history.message(room, id), (m): Awaitable<ChangeOutcome> => {
      if (m === null || m.deleted) return { ok: false, code: ErrorCode.NotFound, message: notFound(room, m) };
      if (m.kind === "room") return { ok: false, code: ErrorCode.Forbidden, message: "a room's record of its changes cannot be changed" };
      if (author !== null && m.from.id !== author) return { ok: false, code: ErrorCode.Forbidden, message: "only its author may change a message" };
      return andThen(this.engine.broker.apply(room, draft()), (r): ChangeOutcome => {
        if (!r.ok) return { ok: false, code: ErrorCode.NotFound, message: notFound(room, null) };
        if (r.event) this.report(r.event);
        return { ok: true };
      });
    });
  }
}

/** The webhook event of an applied change (this node applied it, so this node reports it, once). */
function eventOf(e: StreamEvent): Parameters<EventSink["emit"]> {
  const { type, ...data } = e;
  switch (type) {
    case "edited":
      return ["message.edited", data as never];
    case "deleted":
      return ["message.deleted", data as never];
    case "reaction":
      return ["reaction.changed", data as never];
  }
}

/** What became of a change: applied, or refused with a protocol error code. */
export type ChangeOutcome = { ok: true } | { ok: false; code: ErrorCode; message: string };

function notFound(room: string, m: MessageFrame | null): string {
  return m?.deleted ? "that message was deleted" : `room ${room} keeps no message with that id`;
}
