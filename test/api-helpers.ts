// Calling the server API over real HTTP in tests.
import type { App } from "../src/server.ts";

export const API_KEY = "test-api-key-0123456789-abcdefghijkl";
export const OTHER_KEY = "rotated-api-key-9876543210-zyxwvuts";

export interface ApiReply {
  status: number;
  headers: Headers;
  // biome-ignore lint: test replies are read loosely
  body: any;
}

export interface CallOptions {
  /** The key to send; null sends no Authorization header. Default API_KEY. */
  key?: string | null;
  /** A raw body instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
}

/** One API request; the body is parsed as JSON when there is one. */
export async function api(app: App | string, method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<ApiReply> {
  const base = typeof app === "string" ? app : app.httpUrl;
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? API_KEY : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined = opts.raw;
  if (payload === undefined && body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}
