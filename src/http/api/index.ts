// The server API (/api/v1), on only when API_KEY is set: a plain fetch over the route table
// (rooms.ts, room-actions.ts, users.ts, tokens.ts), as routes.ts is for the rest. In order: the OpenAPI document
// (public: it is the schema, not data), the key (401), the key's rate (429), whether the server
// can serve (503), the route (404, 405), the query and body (400, 413), then the handler. A
// handler that fails answers 503 while the engine is down (a cluster node that lost Redis) and
// 500 otherwise, with the stack in the log.
import type { Server } from "bun";
import client from "prom-client";
import type { Config } from "../../config.ts";
import type { Engine } from "../../engine/engine.ts";
import { clientAddress } from "../../ip-limits.ts";
import type { Logger } from "../../log.ts";
import type { Services } from "../../services.ts";
import { ErrorCode } from "../../shared/codes.ts";
import { TokenBucket } from "../../shared/rate-limit.ts";
import type { ServingState } from "../upgrade.ts";
import { readBody, readQuery } from "./body.ts";
import { ApiErrorCode, apiError, json } from "./errors.ts";
import { createKeyCheck } from "./keys.ts";
import { API_PREFIX, openApiDocument } from "./openapi.ts";
import { roomActionRoutes } from "./room-actions.ts";
import { roomRoutes } from "./rooms.ts";
import { match, type Route } from "./route.ts";
import { tokenRoutes } from "./tokens.ts";
import { userRoutes } from "./users.ts";

export { API_PREFIX } from "./openapi.ts";

/** Every route of the API, in the order the OpenAPI document lists them. */
export const ROUTES: readonly Route[] = [...roomRoutes, ...roomActionRoutes, ...userRoutes, ...tokenRoutes];
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export interface ApiOptions {
  services: Services;
  engine: Engine;
  config: Config;
  state: ServingState;
  log: Logger;
  /** For lines any caller can cause at any rate (failed keys): a throttled logger. */
  noisy: Logger;
  registry: client.Registry;
  version?: string;
}

export type ApiHandler = (req: Request, url: URL, srv: Pick<Server<unknown>, "requestIP">) => Promise<Response>;

export function createApi(o: ApiOptions): ApiHandler {
  const checkKey = createKeyCheck(o.config.apiKey);
  const buckets = o.config.apiKey.map(() => new TokenBucket(o.config.apiRateLimit, o.config.apiRateLimit * 2, Date.now()));
  const doc = JSON.stringify(openApiDocument(ROUTES, o.version ?? "1"));
  const deps = { services: o.services, engine: o.engine, config: o.config, log: o.log };
  const requests = new client.Counter({ name: "hubbub_api_requests_total", help: "Server API requests, by operation and status.", labelNames: ["operation", "status"], registers: [o.registry] });

  async function serve(req: Request, url: URL, srv: Pick<Server<unknown>, "requestIP">): Promise<{ op: string; res: Response }> {
    if (url.pathname === OPENAPI_PATH && req.method === "GET") return { op: "openapi", res: new Response(doc, { headers: { "content-type": "application/json; charset=utf-8" } }) };
    const key = checkKey(req.headers.get("authorization"));
    if (!key.ok) {
      // The key is never logged, nor the header: only why it failed, and from where.
      o.noisy.warn("api request unauthorized", { reason: key.reason, ip: clientAddress(req, srv, o.config.trustProxy) });
      const message = key.reason === "missing" ? "send Authorization: Bearer <API_KEY>" : key.reason === "malformed" ? "the Authorization header must be Bearer <API_KEY>" : "that API key is not valid";
      return { op: "unauthorized", res: apiError(401, ErrorCode.Unauthorized, message, { "www-authenticate": 'Bearer realm="hubbub"' }) };
    }
    if (!buckets[key.key]!.take(Date.now())) return { op: "rate_limited", res: apiError(429, ErrorCode.RateLimited, `over API_RATE_LIMIT (${o.config.apiRateLimit}/s) for this key`, { "retry-after": "1" }) };
    if (o.state.draining()) return { op: "unavailable", res: apiError(503, ErrorCode.Unavailable, "the server is shutting down", { "retry-after": "1" }) };
    if (!o.state.ready()) return { op: "unavailable", res: apiError(503, ErrorCode.Unavailable, "the server lost its cluster engine and is reconnecting", { "retry-after": "1" }) };

    const path = url.pathname.slice(API_PREFIX.length);
    const found = ROUTES.flatMap((r) => {
      const params = url.pathname.startsWith(`${API_PREFIX}/`) ? match(r.path, path) : null;
      return params ? [{ r, params }] : [];
    });
    if (found.length === 0) return { op: "not_found", res: apiError(404, ApiErrorCode.NotFound, `no route ${req.method} ${url.pathname.slice(0, 200)}; see ${OPENAPI_PATH}`) };
    const hit = found.find((f) => f.r.method === req.method);
    if (!hit) {
      const allow = found.map((f) => f.r.method).join(", ");
      return { op: "method_not_allowed", res: apiError(405, ApiErrorCode.MethodNotAllowed, `${url.pathname.slice(0, 200)} takes ${allow}`, { allow }) };
    }
    const { r, params } = hit;
    const query = r.query ? readQuery(url, r.query) : { ok: true as const, value: undefined };
    if (!query.ok) return { op: r.operationId, res: query.response };
    const body = r.body ? await readBody(req, r.body) : { ok: true as const, value: undefined };
    if (!body.ok) return { op: r.operationId, res: body.response };
    try {
      return { op: r.operationId, res: await r.handle({ req, params, query: query.value, body: body.value, d: deps }) };
    } catch (err) {
      const error = String((err as Error)?.stack ?? err);
      if (o.engine.ready) {
        o.log.error("api handler failed", { operation: r.operationId, error });
        return { op: r.operationId, res: apiError(500, ErrorCode.Unavailable, "the server failed to handle that request") };
      }
      o.noisy.warn("api request failed: engine not ready", { operation: r.operationId, error });
      return { op: r.operationId, res: apiError(503, ErrorCode.Unavailable, "the server lost its cluster engine and is reconnecting; try again shortly", { "retry-after": "1" }) };
    }
  }

  return async (req, url, srv) => {
    const { op, res } = await serve(req, url, srv);
    requests.inc({ operation: op, status: String(res.status) });
    return res;
  };
}
