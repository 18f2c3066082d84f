// Webhook and message-hook metrics, on the server's registry (metrics.ts).
import client from "prom-client";
import type { QueuedEvent } from "./outbox.ts";

/** Delivery latency buckets, in seconds: from an event's queueing to its receiver's 2xx. */
const DELIVERY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface WebhookMetrics {
  queued(n: number): void;
  delivered(events: QueuedEvent[], nowMs: number): void;
  retried(): void;
  dropped(reason: "queue_full" | "expired" | "write_failed", n: number): void;
  hook(outcome: "allow" | "replace" | "reject" | "failed_open" | "failed_closed"): void;
}

export function createWebhookMetrics(registry: client.Registry, queueSize: () => number): WebhookMetrics {
  const registers = [registry];
  const queued = new client.Counter({ name: "hubbub_webhook_events_queued_total", help: "Webhook events queued for delivery.", registers });
  const delivered = new client.Counter({ name: "hubbub_webhook_events_delivered_total", help: "Webhook events the receiver acknowledged (2xx).", registers });
  const retries = new client.Counter({ name: "hubbub_webhook_retries_total", help: "Webhook batch deliveries that failed and were retried.", registers });
  const dropped = new client.Counter({ name: "hubbub_webhook_events_dropped_total", help: "Webhook events given up on: queue_full (oldest dropped past WEBHOOK_QUEUE_SIZE), expired (retried for WEBHOOK_RETRY_FOR), write_failed (the outbox could not be written).", labelNames: ["reason"], registers });
  new client.Gauge({ name: "hubbub_webhook_queue_events", help: "Webhook events waiting for delivery.", registers, collect() { this.set(queueSize()); } });
  const latency = new client.Histogram({ name: "hubbub_webhook_delivery_seconds", help: "From an event's queueing to its receiver's 2xx.", buckets: DELIVERY_BUCKETS, registers });
  const hooks = new client.Counter({ name: "hubbub_message_hook_total", help: "Message hook calls, by outcome.", labelNames: ["outcome"], registers });
  return {
    queued: (n) => queued.inc(n),
    delivered(events, nowMs) {
      delivered.inc(events.length);
      for (const e of events) latency.observe(Math.max(0, nowMs - e.queuedAt) / 1000);
    },
    retried: () => retries.inc(),
    dropped: (reason, n) => dropped.inc({ reason }, n),
    hook: (outcome) => hooks.inc({ outcome }),
  };
}
