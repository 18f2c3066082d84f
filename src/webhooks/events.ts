// Webhook events: what each type carries, and the sink that producers (rooms.ts,
// message-edits.ts, admission.ts, member-events.ts) hand them to. An event is `{id, type, ts, data}`: `id` is unique and stays
// the same on every retry (receivers de-duplicate on it), `ts` is when it happened (ms since the
// Unix epoch). The sink filters by WEBHOOK_EVENTS, encodes once and queues; it never waits.
import type { WebhookEventType } from "../config.ts";
import type { Member, MessageKind } from "../shared/protocol.ts";

export type { WebhookEventType };

/** The `data` of each event type. */
export interface EventData {
  /** A message was published into a room (by a user or through the server API), once per message. */
  "message.created": { room: string; seq: number; id: string; ts: number; from: Member; kind: MessageKind; text: string };
  /** A message's author changed its text. */
  "message.edited": { room: string; seq: number; id: string; text: string; ts: number; by: Member };
  /** A message was deleted (by its author, or by the server API); its text is gone. */
  "message.deleted": { room: string; seq: number; id: string; ts: number; by: Member };
  /** A member added (`on`) or took back an emoji reaction on a message. */
  "reaction.changed": { room: string; seq: number; id: string; emoji: string; by: Member; on: boolean };
  /** A user entered a room (its first connection there, on any node); a join of a listed id under a new name is a rename. */
  "member.joined": { room: string; user: Member };
  /** A user left a room (its last connection there, on every node), not undone by a rejoin within MEMBER_LEAVE_GRACE_MS. */
  "member.left": { room: string; user: Member };
  /** A user's first connection on a node opened (`node` says which). */
  "user.connected": { user: Member; node: string };
  /** A user's last connection on a node closed. */
  "user.disconnected": { user: Member; node: string };
}

export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  id: string;
  type: T;
  ts: number;
  data: EventData[T];
}

/** Where producers hand events. Synchronous and cheap: chat never waits for a webhook. */
export interface EventSink {
  emit<T extends WebhookEventType>(type: T, data: EventData[T], ts?: number): void;
}

/** The sink without WEBHOOK_URL: every event is dropped before it is built. */
export const noEvents: EventSink = { emit() {} };

/** A new event id: `evt_` and 24 random hex digits. */
export function eventId(): string {
  return `evt_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** A sink that keeps the `wanted` types and passes each one, encoded, to `queue`. */
export function filteringSink(wanted: ReadonlySet<WebhookEventType>, queue: (json: string) => void): EventSink {
  return {
    emit(type, data, ts = Date.now()) {
      if (!wanted.has(type)) return;
      const event: WebhookEvent = { id: eventId(), type, ts, data };
      queue(JSON.stringify(event));
    },
  };
}
