// A route of the server API: method, path pattern, the schemas of what it reads and answers
// (the handler validates with them, openapi.ts documents them), and the handler, which calls
// the same services (rooms.ts, messages.ts, user-control.ts) a connection's frames call.
import type { z } from "zod";
import type { Awaitable } from "../../awaitable.ts";
import type { Config } from "../../config.ts";
import type { Engine } from "../../engine/engine.ts";
import type { Logger } from "../../log.ts";
import type { Services } from "../../services.ts";

export interface ApiDeps {
  services: Services;
  engine: Engine;
  config: Config;
  log: Logger;
}

export interface Ctx<B, Q> {
  req: Request;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  body: B;
  query: Q;
  d: ApiDeps;
}

export type Method = "GET" | "POST" | "DELETE";

export interface Route {
  method: Method;
  /** Below /api/v1, with `{name}` for a parameter: `/rooms/{room}/messages`. */
  path: string;
  operationId: string;
  summary: string;
  /** Each path parameter's description. */
  params?: Record<string, string>;
  body?: z.ZodType;
  query?: z.ZodType;
  ok: { status: number; schema: z.ZodType; description: string };
  /** The error statuses it may answer besides 401, 413, 429 and 503 (every route has those). */
  errors: number[];
  handle(ctx: Ctx<unknown, unknown>): Awaitable<Response>;
}

/** Declares a route with its handler typed by its schemas. */
export function route<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
  r: Omit<Route, "handle" | "body" | "query"> & { body?: B; query?: Q; handle(ctx: Ctx<z.output<B>, z.output<Q>>): Awaitable<Response> },
): Route {
  return r as unknown as Route;
}

/** Matches `pathname` (below /api/v1) against a route's pattern: its parameters, or null. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith("{")) {
      if (g === "") return null;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}
