// The server API's and webhooks' settings: each bad value stops start-up with one line naming
// the setting, and never shows a secret.
import { describe, expect, it } from "bun:test";
import { WEBHOOK_EVENT_TYPES, loadConfig } from "../src/config.ts";

const KEY = "k".repeat(32);
const SECRET = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
const load = (env: Record<string, string>) => loadConfig(env);
const error = (env: Record<string, string>) => {
  const r = load(env);
  return r.ok === false ? r.error : null;
};

describe("API and webhook settings", () => {
  it("reads API keys for rotation, each 32+ characters, and never shows them", () => {
    const r = load({ API_KEY: `${KEY}, ${"j".repeat(40)}` });
    expect(r.ok === true && r.config.apiKey).toEqual([KEY, "j".repeat(40)]);
    const none = load({});
    expect(none.ok === true && none.config.apiKey).toEqual([]);
    const e = error({ API_KEY: `${KEY},short-key` });
    expect(e).toBe("invalid setting API_KEY (--api-key) = (secret, not shown): each key must be at least 32 characters");
  });

  it("needs WEBHOOK_SECRET (whsec_<base64>) beside WEBHOOK_URL and MESSAGE_HOOK_URL", () => {
    expect(error({ WEBHOOK_URL: "http://127.0.0.1:9/hook" })).toContain("WEBHOOK_URL (--webhook-url): needs WEBHOOK_SECRET");
    expect(error({ MESSAGE_HOOK_URL: "http://127.0.0.1:9/check" })).toContain("MESSAGE_HOOK_URL (--message-hook-url): needs WEBHOOK_SECRET");
    expect(error({ WEBHOOK_URL: "ftp://example.test/x", WEBHOOK_SECRET: SECRET })).toContain("must be an http:// or https:// URL");
    expect(error({ WEBHOOK_URL: "http://127.0.0.1:9/hook", WEBHOOK_SECRET: "plain-secret" })).toContain("(secret, not shown): must be whsec_");
    expect(load({ WEBHOOK_URL: "http://127.0.0.1:9/hook", WEBHOOK_SECRET: SECRET }).ok).toBe(true);
  });

  it("filters WEBHOOK_EVENTS by known type, reads WEBHOOK_RETRY_FOR as a duration", () => {
    const r = load({ WEBHOOK_EVENTS: "member.joined, message.created", WEBHOOK_RETRY_FOR: "90m" });
    expect(r.ok === true && [r.config.webhookEvents, r.config.webhookRetryForMs]).toEqual([["member.joined", "message.created"], 90 * 60_000]);
    const d = load({});
    expect(d.ok === true && [d.config.webhookEvents, d.config.webhookRetryForMs, d.config.webhookTimeoutMs, d.config.messageHookTimeoutMs, d.config.messageHookFail]).toEqual([
      [...WEBHOOK_EVENT_TYPES], 3_600_000, 5000, 500, "open",
    ]);
    expect(error({ WEBHOOK_EVENTS: "message.sent" })).toContain('unknown event type "message.sent"');
    expect(error({ WEBHOOK_RETRY_FOR: "forever" })).toContain("must be a duration");
    expect(error({ MESSAGE_HOOK_FAIL: "maybe" })).toContain("MESSAGE_HOOK_FAIL");
  });
});
