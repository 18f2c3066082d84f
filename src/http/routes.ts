// The HTTP router: a plain `fetch(req, srv)` that server.ts hands to Bun.serve and that tests
// call in process, without a port (test/routes.test.ts). `/` (the page) is not here: it is an
// HTML import, which only Bun.serve's `routes` can bundle and serve.
import type { Server } from "bun";
import type { Session } from "../session.ts";
import { ApiErrorCode, apiError } from "./api/errors.ts";
import type { ApiHandler } from "./api/index.ts";
import type { ServingState, UpgradeHandler } from "./upgrade.ts";

/** Bun's fetch contract: a Response, or undefined once the request was upgraded. */
export type Fetch = (req: Request, srv: Server<Session>) => Response | undefined | Promise<Response | undefined>;
/** Serves GET /metrics (metrics-route.ts). */
export type MetricsHandler = (req: Request) => Promise<Response>;

export interface RouteDeps {
  state: ServingState;
  /** /metrics on this server, or null when METRICS_PORT serves it on its own (then 404 here). */
  metrics: MetricsHandler | null;
  /** The /ws admission pipeline (upgrade.ts). */
  upgrade: UpgradeHandler;
  /** The server API under /api/ (http/api/), or null when API_KEY is unset (then 404 there). */
  api?: ApiHandler | null;
}

const notFound = () => new Response("not found\n", { status: 404 });

export function createRoutes({ state, metrics, upgrade, api = null }: RouteDeps): Fetch {
  return (req, srv) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/api/")) return api ? api(req, url, srv) : apiError(404, ApiErrorCode.NotFound, "the server API is off: set API_KEY to turn it on");
    switch (url.pathname) {
      case "/ws":
        return upgrade(req, url, srv);
      case "/healthz":
        return new Response("ok\n");
      case "/readyz":
        if (state.draining()) return new Response("shutting down\n", { status: 503 });
        return state.ready() ? new Response("ready\n") : new Response("engine not ready\n", { status: 503 });
      case "/metrics":
        return metrics ? metrics(req) : notFound();
      default:
        return notFound();
    }
  };
}

/** The separate METRICS_PORT server's router: /metrics and nothing else. */
export function createMetricsOnlyRoutes(metrics: MetricsHandler): (req: Request) => Response | Promise<Response> {
  return (req) => (new URL(req.url).pathname === "/metrics" ? metrics(req) : notFound());
}
