// Delivery: one loop per server that takes the oldest events from the outbox, POSTs them as one
// signed batch, and removes them once the receiver answered 2xx. One batch is in flight at a
// time, so a receiver sees events in queue order. A batch waits for up to BATCH_WINDOW_MS after
// its first event (or until it holds MAX_BATCH_EVENTS), so a burst costs one request, not a
// hundred. A failure (non-2xx, timeout, refused connection) is retried, the same batch with the
// same `webhook-id`, after an exponential backoff with full jitter, until WEBHOOK_RETRY_FOR has
// passed since its first attempt; then it is dropped, counted and logged, and the next one goes.
// Nothing here is on the chat path: producers only append to the outbox.
import { createHash } from "node:crypto";
import type { Logger } from "../log.ts";
import type { Outbox, QueuedEvent } from "./outbox.ts";
import { signedHeaders } from "./signing.ts";

/** A batch holds at most this many events. */
export const MAX_BATCH_EVENTS = 100;
/** A batch goes out at most this long (ms) after its first event was queued. */
export const BATCH_WINDOW_MS = 250;
/** The first retry waits up to this long (ms, full jitter); each next one doubles the ceiling… */
export const RETRY_BASE_MS = 500;
/** …up to this ceiling (ms). */
export const RETRY_MAX_MS = 60_000;

export interface DispatcherOptions {
  url: string;
  /** The HMAC key (signing.ts secretKey). */
  key: Buffer;
  /** WEBHOOK_TIMEOUT_MS. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_FOR, in ms. */
  retryForMs: number;
  outbox: Outbox;
  log: Logger;
  /** RETRY_BASE_MS unless given (tests). */
  retryBaseMs?: number;
  /** Delivery outcomes, for metrics. */
  report: {
    delivered(events: QueuedEvent[], nowMs: number): void;
    retried(): void;
    expired(n: number): void;
  };
}

export class Dispatcher {
  private wake: (() => void) | null = null;
  private stopped = false;
  private inFlight: AbortController | null = null;
  private readonly done: Promise<void>;

  constructor(private readonly o: DispatcherOptions) {
    this.done = this.run();
  }

  /** New events were queued: a waiting loop looks again. */
  notify(): void {
    this.wake?.();
  }

  /** Stops after aborting the request in flight; what was not delivered stays in the outbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.inFlight?.abort();
    this.wake?.();
    await this.done;
  }

  /** The loop, kept alive through an outbox that fails (a disk error): logged, then tried again after a pause. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.once();
      } catch (err) {
        this.o.log.error("webhook delivery loop failed; retrying", { error: String((err as Error)?.message ?? err) });
        await this.sleep(this.o.retryBaseMs ?? RETRY_BASE_MS, true);
      }
    }
  }

  /** Takes the next batch (waiting for one) and delivers it. */
  private async once(): Promise<void> {
    let batch = this.o.outbox.head(MAX_BATCH_EVENTS);
    if (batch.length === 0) return this.sleep(Number.POSITIVE_INFINITY);
    // Give a burst its window to fill the batch.
    const windowLeft = batch[0]!.queuedAt + BATCH_WINDOW_MS - Date.now();
    if (batch.length < MAX_BATCH_EVENTS && windowLeft > 0) {
      await this.sleep(windowLeft, true);
      if (this.stopped) return;
      batch = this.o.outbox.head(MAX_BATCH_EVENTS);
    }
    await this.deliver(batch);
  }

  /** Sends one batch until it is delivered, expires, or the dispatcher stops. */
  private async deliver(batch: QueuedEvent[]): Promise<void> {
    const body = `{"events":[${batch.map((e) => e.json).join(",")}]}`;
    // Stable across retries (and restarts, as long as the batch holds the same events).
    const id = `msg_${createHash("sha256").update(batch.map((e) => e.seq).join(",")).update(body).digest("hex").slice(0, 32)}`;
    const first = Date.now();
    for (let attempt = 0; !this.stopped; attempt++) {
      const outcome = await this.post(id, body);
      if (this.stopped) return;
      const last = batch[batch.length - 1]!.seq;
      if (outcome === "ok") {
        this.o.outbox.remove(last);
        this.o.report.delivered(batch, Date.now());
        return;
      }
      if (Date.now() - first >= this.o.retryForMs) {
        this.o.log.error("webhook batch dropped: retried for WEBHOOK_RETRY_FOR without success", { events: batch.length, id, last: outcome });
        this.o.outbox.remove(last);
        this.o.report.expired(batch.length);
        return;
      }
      const ceiling = Math.min(RETRY_MAX_MS, (this.o.retryBaseMs ?? RETRY_BASE_MS) * 2 ** Math.min(attempt, 20));
      const delay = Math.min(Math.random() * ceiling, Math.max(0, first + this.o.retryForMs - Date.now()));
      this.o.report.retried();
      this.o.log.warn("webhook delivery failed; retrying", { id, events: batch.length, attempt: attempt + 1, why: outcome, retryInMs: Math.round(delay) });
      await this.sleep(delay, true);
    }
  }

  /** "ok", or why it failed (a status, "timeout", a network error), never the body. */
  private async post(id: string, body: string): Promise<string> {
    const abort = new AbortController();
    this.inFlight = abort;
    const timer = setTimeout(() => abort.abort(), this.o.timeoutMs);
    try {
      const res = await fetch(this.o.url, { method: "POST", body, headers: signedHeaders(this.o.key, id, body), signal: abort.signal, redirect: "manual" });
      // The body is not needed, but must be consumed or cancelled to free the connection.
      await res.body?.cancel().catch(() => {});
      return res.status >= 200 && res.status < 300 ? "ok" : `status ${res.status}`;
    } catch (err) {
      return abort.signal.aborted ? (this.stopped ? "stopped" : "timeout") : `error ${(err as Error).message ?? err}`;
    } finally {
      clearTimeout(timer);
      this.inFlight = null;
    }
  }

  /** Waits `ms` (or until notified, unless `fixed`); stop() always ends the wait. */
  private sleep(ms: number, fixed = false): Promise<void> {
    return new Promise((resolve) => {
      const t = Number.isFinite(ms) ? setTimeout(done, ms) : null;
      function done() {
        if (t) clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        if (this.stopped || !fixed) {
          this.wake = null;
          done();
        }
      };
    });
  }
}
