// A real webhook receiver for tests: an HTTP server on port 0 that verifies every delivery with
// the `standardwebhooks` package (an implementation independent of ours) and records what
// arrived. Its answer is scripted per request: a status, or "hang" (never answer until release()).
import { Webhook } from "standardwebhooks";
import type { WebhookEvent } from "../src/webhooks/events.ts";
import { eventually } from "./support.ts";

/** A fixed test secret in the whsec_ form (32 bytes). */
export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

export type Answer = number | "hang";

export interface Delivery {
  id: string;
  events: WebhookEvent[];
  status: Answer;
}

export interface Receiver extends AsyncDisposable {
  readonly url: string;
  /** Every request, in arrival order, with what it was answered. */
  readonly deliveries: Delivery[];
  /** Events of the deliveries answered 2xx, in order. */
  accepted(): WebhookEvent[];
  /** Requests whose signature did not verify (must stay empty). */
  readonly badSignatures: string[];
  /** Requests still waiting for an answer ("hang"). */
  readonly hanging: number;
  /** Answers every hanging request with `status`. */
  release(status?: number): void;
  /** Sets how the following requests are answered: `n` → the n-th request's answer (0-based). */
  answer: (n: number) => Answer;
  /** Resolves once the accepted events satisfy `pred`. */
  until(pred: (events: WebhookEvent[]) => boolean, what: string, timeoutMs?: number): Promise<WebhookEvent[]>;
  stop(): Promise<void>;
}

export function startReceiver(secret = TEST_WEBHOOK_SECRET, answer: (n: number) => Answer = () => 200): Receiver {
  const wh = new Webhook(secret);
  const deliveries: Delivery[] = [];
  const badSignatures: string[] = [];
  const hung: ((status: number) => void)[] = [];
  const r: Receiver = {
    url: "",
    deliveries,
    badSignatures,
    answer,
    get hanging() {
      return hung.length;
    },
    accepted: () => deliveries.filter((d) => typeof d.status === "number" && d.status < 300).flatMap((d) => d.events),
    release(status = 200) {
      for (const h of hung.splice(0)) h(status);
    },
    async until(pred, what, timeoutMs = 8000) {
      await eventually(() => pred(r.accepted()), timeoutMs, what);
      return r.accepted();
    },
    stop: async () => {
      r.release(503);
      await server.stop(true);
    },
    [Symbol.asyncDispose]: () => r.stop(),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      const headers = Object.fromEntries(req.headers);
      let events: WebhookEvent[] = [];
      try {
        events = (wh.verify(body, headers) as { events: WebhookEvent[] }).events;
      } catch (err) {
        badSignatures.push(String(err));
        return new Response("bad signature", { status: 400 });
      }
      const status = r.answer(deliveries.length);
      const d: Delivery = { id: headers["webhook-id"] ?? "", events, status };
      deliveries.push(d);
      if (status !== "hang") return new Response(null, { status });
      return new Promise<Response>((resolve) => hung.push((s) => {
        d.status = s;
        resolve(new Response(null, { status: s }));
      }));
    },
  });
  Object.assign(r, { url: `http://127.0.0.1:${server.port}/hook` });
  return r;
}
