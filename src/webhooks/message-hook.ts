// The message hook (MESSAGE_HOOK_URL): the application's backend sees each chat before it is
// published and answers allow, reject (the sender gets `rejected` with the backend's reason) or
// replace (the text that is published instead: a profanity filter, a bot command). The request
// is signed like a webhook (signing.ts) and has a deadline, MESSAGE_HOOK_TIMEOUT_MS; a timeout,
// a non-2xx answer or an answer that is not one of the three counts as a failure, which
// MESSAGE_HOOK_FAIL turns into publishing the text as sent (open) or refusing it (closed).
// Only chat from connections goes through it; the server API's messages are the backend's own.
import { z } from "zod";
import type { Logger } from "../log.ts";
import { ErrorCode } from "../shared/codes.ts";
import type { Member, MessageKind } from "../shared/protocol.ts";
import { codePointLength } from "../shared/protocol.ts";
import type { WebhookMetrics } from "./metrics.ts";
import { signedHeaders } from "./signing.ts";

/** The longest reject reason passed on to the sender, in characters. */
export const MAX_REJECT_REASON = 200;
const DEFAULT_REASON = "your message was not accepted";

/** What the backend may answer (JSON, 2xx). */
export const HookAnswer = z.discriminatedUnion("action", [
  z.object({ action: z.literal("allow") }),
  z.object({ action: z.literal("reject"), reason: z.string().optional() }),
  z.object({ action: z.literal("replace"), text: z.string() }),
]);

export interface HookRequest {
  room: string;
  from: Member;
  kind: MessageKind;
  text: string;
}

/** Publish `text` (the sender's, or the backend's replacement), or answer the sender with `code`. */
export type HookResult = { ok: true; text: string } | { ok: false; code: ErrorCode; message: string };

export interface MessageHook {
  check(req: HookRequest): Promise<HookResult>;
}

export interface MessageHookOptions {
  url: string;
  key: Buffer;
  timeoutMs: number;
  fail: "open" | "closed";
  /** MAX_TEXT_LENGTH: a replacement must obey it too. */
  maxTextLength: number;
  /** For failures, which any outage causes at any rate: a throttled logger. */
  noisy: Logger;
  metrics: WebhookMetrics;
}

export function createMessageHook(o: MessageHookOptions): MessageHook {
  const failed = (req: HookRequest, why: string): HookResult => {
    o.noisy.warn("message hook failed", { why, policy: o.fail });
    o.metrics.hook(o.fail === "open" ? "failed_open" : "failed_closed");
    return o.fail === "open" ? { ok: true, text: req.text } : { ok: false, code: ErrorCode.Unavailable, message: "your message could not be checked; try again shortly" };
  };
  return {
    async check(req) {
      const body = JSON.stringify({ type: "message.check", ts: Date.now(), data: req });
      const id = `chk_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
      let answer: unknown;
      try {
        const res = await fetch(o.url, { method: "POST", body, headers: signedHeaders(o.key, id, body), signal: AbortSignal.timeout(o.timeoutMs), redirect: "manual" });
        if (res.status < 200 || res.status >= 300) {
          await res.body?.cancel().catch(() => {});
          return failed(req, `status ${res.status}`);
        }
        answer = await res.json();
      } catch (err) {
        const name = (err as Error)?.name;
        return failed(req, name === "TimeoutError" ? "timeout" : name === "SyntaxError" ? "answer is not JSON" : `error ${(err as Error)?.message ?? err}`);
      }
      const r = HookAnswer.safeParse(answer);
      if (!r.success) return failed(req, "answer is not {action: allow | reject | replace}");
      const a = r.data;
      if (a.action === "allow") {
        o.metrics.hook("allow");
        return { ok: true, text: req.text };
      }
      if (a.action === "reject") {
        o.metrics.hook("reject");
        return { ok: false, code: ErrorCode.Rejected, message: (a.reason?.trim() || DEFAULT_REASON).slice(0, MAX_REJECT_REASON) };
      }
      if (a.text.trim().length === 0 || codePointLength(a.text) > o.maxTextLength) return failed(req, "replacement text is blank or too long");
      o.metrics.hook("replace");
      return { ok: true, text: a.text };
    },
  };
}
