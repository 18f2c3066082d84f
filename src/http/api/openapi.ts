// The OpenAPI 3.1 document of the server API, built from the route table and the same zod
// schemas the handlers validate with (zod 4's JSON Schema output; OpenAPI 3.1 schemas are JSON
// Schema 2020-12). Built once, at start-up. test/api.test.ts checks every route is in it.
import { z } from "zod";
import { MAX_BODY_BYTES } from "./errors.ts";
import type { Route } from "./route.ts";
import { ErrorBody } from "./schemas.ts";

export const API_PREFIX = "/api/v1";

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const STATUS_TEXT: Record<number, string> = {
  400: "bad input: invalid JSON, a field that breaks its rule, a bad room or name",
  401: "missing or wrong API key",
  403: "refused by the room's rules: one of its lists (bans, mutes, moderators and invited members) is full",
  404: "no such user, or no such route",
  405: "the route exists with another method",
  409: "conflicts with the server's state: a name a user holds, a setting the server lacks",
  413: `the body is over ${MAX_BODY_BYTES} bytes`,
  429: "over API_RATE_LIMIT for this key; see Retry-After",
  503: "the server is shutting down, or its cluster engine is not ready; see Retry-After",
};

export function openApiDocument(routes: readonly Route[], version: string): Json {
  const paths: Record<string, Json> = {};
  const error = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
  for (const r of routes) {
    const parameters: Json[] = [];
    for (const [name, description] of Object.entries(r.params ?? {})) parameters.push({ name, in: "path", required: true, description, schema: { type: "string" } });
    const query = r.query as z.ZodObject | undefined;
    for (const [name, s] of Object.entries(query?.shape ?? {})) {
      const field = s as z.ZodType;
      parameters.push({ name, in: "query", required: !field.safeParse(undefined).success, schema: schemaOf(field, "input") });
    }
    const responses: Json = { [r.ok.status]: { description: r.ok.description, content: { "application/json": { schema: schemaOf(r.ok.schema, "output") } } } };
    for (const status of [...new Set([...r.errors, 401, 413, 429, 503])].sort()) responses[status] = { description: STATUS_TEXT[status] ?? "error", content: error };
    const op: Json = { operationId: r.operationId, summary: r.summary, parameters, responses };
    if (r.body) op.requestBody = { required: true, content: { "application/json": { schema: schemaOf(r.body, "input") } } };
    (paths[`${API_PREFIX}${r.path}`] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Hubbub server API", version, description: "Drive a Hubbub server from an application's backend. See docs/api.md." },
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "one of the keys in API_KEY" } },
      schemas: { Error: schemaOf(ErrorBody, "output") },
    },
  };
}
