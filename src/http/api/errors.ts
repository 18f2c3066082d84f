// The server API's answers: JSON bodies, real status codes, and one error shape,
// `{"error": {"code", "message"}}`. The codes are the WebSocket protocol's (shared/codes.ts)
// wherever one fits (`invalid_room`, `text_too_long`, `no_such_user`, `rate_limited`,
// `unavailable`…), plus a few that only HTTP has, listed here and in docs/api.md.
import { ErrorCode } from "../../shared/codes.ts";

/** Error codes only the HTTP API has. */
export const ApiErrorCode = {
  /** No such route, or the API is off (no API_KEY). 404. */
  NotFound: "not_found",
  /** The route exists, not with this method (the `Allow` header lists those it has). 405. */
  MethodNotAllowed: "method_not_allowed",
  /** The request body is over MAX_BODY_BYTES. 413. */
  PayloadTooLarge: "payload_too_large",
  /** The request needs a setting the server does not have (`tokens` without AUTH_SECRET). 409. */
  NotConfigured: "not_configured",
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];
export type ApiCode = ErrorCode | ApiErrorCode;

/** The largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_TYPE, ...headers } });
}

/** An error answer in the one shape. */
export function apiError(status: number, code: ApiCode, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message } }, headers);
}

/** The HTTP status of a protocol error code, where a service answered with one. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.NoSuchUser:
    case ErrorCode.NotInRoom:
    case ErrorCode.NotFound:
      return 404;
    case ErrorCode.Forbidden:
      return 403;
    case ErrorCode.NameTaken:
      return 409;
    case ErrorCode.RateLimited:
      return 429;
    case ErrorCode.Unauthorized:
      return 401;
    case ErrorCode.Unavailable:
      return 503;
    default:
      return 400;
  }
}
