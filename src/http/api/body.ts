// Reading a request at the edge: the body (at most MAX_BODY_BYTES, then JSON, then its zod
// schema) and the query string (its schema). Parse, don't throw: each gives the typed value or
// the error answer to send.
import type { z } from "zod";
import { ErrorCode } from "../../shared/codes.ts";
import { ApiErrorCode, MAX_BODY_BYTES, apiError } from "./errors.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

const tooLarge = () => ({ ok: false as const, response: apiError(413, ApiErrorCode.PayloadTooLarge, `the body is over ${MAX_BODY_BYTES} bytes`) });

/** The body, within the size cap, as UTF-8 text; an empty body reads as "". */
async function readCapped(req: Request): Promise<Parsed<string>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return tooLarge();
  if (!req.body) return { ok: true, value: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  return { ok: true, value: Buffer.concat(chunks).toString("utf8") };
}

/** The body parsed by `schema`; an empty body is `{}` (every body field optional then). */
export async function readBody<S extends z.ZodType>(req: Request, schema: S): Promise<Parsed<z.output<S>>> {
  const text = await readCapped(req);
  if (!text.ok) return text;
  let raw: unknown = {};
  if (text.value.trim() !== "") {
    try {
      raw = JSON.parse(text.value);
    } catch {
      return { ok: false, response: apiError(400, ErrorCode.InvalidJson, "the body is not valid JSON") };
    }
  }
  return check(schema, raw, "body");
}

/** The query string parsed by `schema` (each parameter's first value). */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): Parsed<z.output<S>> {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) raw[k] ??= v;
  return check(schema, raw, "query");
}

function check<S extends z.ZodType>(schema: S, raw: unknown, where: string): Parsed<z.output<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const path = issue?.path.length ? `\`${issue.path.join(".")}\`: ` : "";
  const what = issue?.code === "unrecognized_keys" ? `unknown field ${issue.keys.map((k) => `\`${k}\``).join(", ")}` : (issue?.message ?? "bad shape");
  return { ok: false, response: apiError(400, ErrorCode.InvalidMessage, `invalid ${where}: ${path}${what}`) };
}
