// GET /metrics: the Prometheus exposition, behind METRICS_TOKEN when one is set. The token is
// compared in constant time; a wrong or missing one gets 401 and learns nothing else.
import { timingSafeEqual } from "node:crypto";
import type { Metrics } from "./metrics.ts";

export function createMetricsRoute(metrics: Metrics, token: string): (req: Request) => Promise<Response> {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (req) => {
    if (token) {
      const got = Buffer.from(req.headers.get("authorization") ?? "");
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        return new Response("unauthorized\n", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="metrics"' } });
      }
    }
    return new Response(await metrics.render(), { headers: { "Content-Type": metrics.contentType } });
  };
}
