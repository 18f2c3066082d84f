// Webhooks, wired once (server.ts): the outbox, its delivery loop, the event sink producers
// call, the member-event debouncer fed by the engine's presence changes, and the message hook.
// Each piece is absent when its setting is: without WEBHOOK_URL no event is even built.
import type client from "prom-client";
import type { Awaitable } from "../awaitable.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Member } from "../shared/protocol.ts";
import { Dispatcher } from "./dispatcher.ts";
import { filteringSink, noEvents, type EventSink } from "./events.ts";
import { MemberEvents } from "./member-events.ts";
import { createMessageHook, type MessageHook } from "./message-hook.ts";
import { createWebhookMetrics } from "./metrics.ts";
import { SqliteOutbox, type Outbox } from "./outbox.ts";
import { secretKey } from "./signing.ts";

export type { EventSink } from "./events.ts";
export type { MessageHook } from "./message-hook.ts";

export interface Webhooks {
  readonly events: EventSink;
  /** The chat hook, or null without MESSAGE_HOOK_URL. */
  readonly hook: MessageHook | null;
  /** The engine's presence changes (EngineSink.presence), for member.joined / member.left. */
  presence(room: string, joins: Member[], leaves: Member[], origin?: string): void;
  /** Events waiting (the outbox), 0 without webhooks. */
  readonly queued: number;
  /** Reports held leaves, stops delivering (what is undelivered stays in the outbox) and closes it. */
  close(): Promise<void>;
}

export interface WebhookDeps {
  log: Logger;
  /** A throttled logger, for failures any outage causes at any rate. */
  noisy: Logger;
  registry: client.Registry;
  nodeId: string;
  isMember(room: string, userId: string): Awaitable<boolean>;
  /** Timings, for tests: the first retry's ceiling (RETRY_BASE_MS) and the leave grace (MEMBER_LEAVE_GRACE_MS). */
  timings?: WebhookTimings;
}

export interface WebhookTimings {
  retryBaseMs?: number;
  leaveGraceMs?: number;
}

export function createWebhooks(config: Config, d: WebhookDeps): Webhooks {
  let outbox: Outbox | null = null;
  const metrics = createWebhookMetrics(d.registry, () => outbox?.size ?? 0);
  const key = config.webhookSecret ? secretKey(config.webhookSecret) : Buffer.alloc(0);
  const hook = config.messageHookUrl
    ? createMessageHook({ url: config.messageHookUrl, key, timeoutMs: config.messageHookTimeoutMs, fail: config.messageHookFail, maxTextLength: config.maxTextLength, noisy: d.noisy, metrics })
    : null;
  if (!config.webhookUrl) {
    return { events: noEvents, hook, presence() {}, queued: 0, close: async () => {} };
  }
  const box = new SqliteOutbox({
    dataDir: config.dataDir,
    maxEvents: config.webhookQueueSize,
    dropped: (n) => {
      metrics.dropped("queue_full", n);
      d.noisy.warn("webhook queue full: oldest events dropped", { dropped: n, max: config.webhookQueueSize });
    },
    lost: (n, err) => {
      metrics.dropped("write_failed", n);
      d.noisy.error("webhook events could not be written to the outbox and are lost", { lost: n, error: String((err as Error)?.message ?? err) });
    },
  });
  outbox = box;
  const dispatcher = new Dispatcher({
    url: config.webhookUrl,
    key,
    timeoutMs: config.webhookTimeoutMs,
    retryForMs: config.webhookRetryForMs,
    outbox: box,
    log: d.noisy,
    retryBaseMs: d.timings?.retryBaseMs,
    report: { delivered: metrics.delivered, retried: metrics.retried, expired: (n) => metrics.dropped("expired", n) },
  });
  const events = filteringSink(new Set(config.webhookEvents), (json) => {
    box.append([json]);
    metrics.queued(1);
    dispatcher.notify();
  });
  const members = new MemberEvents({ nodeId: d.nodeId, events, isMember: d.isMember, graceMs: d.timings?.leaveGraceMs });
  let closing: Promise<void> | null = null;
  return {
    events,
    hook,
    presence: (room, joins, leaves, origin) => members.presence(room, joins, leaves, origin),
    get queued() {
      return box.size;
    },
    close() {
      closing ??= (async () => {
        members.flush();
        await dispatcher.stop();
        box.close();
      })();
      return closing;
    },
  };
}
