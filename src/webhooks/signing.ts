// Standard Webhooks signatures (https://www.standardwebhooks.com): every delivery carries
// `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>`, the
// HMAC-SHA256 of `<id>.<timestamp>.<body>` under the secret's bytes. The secret is written
// `whsec_<base64>`, so any Standard Webhooks library verifies our deliveries (the tests use the
// `standardwebhooks` package, an implementation that is not ours).
import { createHmac } from "node:crypto";

export const SECRET_PREFIX = "whsec_";

/** The HMAC key of a `whsec_<base64>` secret (config.ts has checked its shape). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

/** The three headers of one signed request, for `body` exactly as sent. */
export function signedHeaders(key: Buffer, id: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${mac}`,
  };
}
