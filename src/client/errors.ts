// The one error type the SDK rejects with. `code` is either a server error code (from an
// `error` frame) or one of the client-side codes below, so callers switch on one field.
import type { ErrorCode } from "../shared/codes.ts";

/** Failures the client itself detects, next to the server's ErrorCode catalog. */
export const ClientErrorCode = {
  /** The connection dropped while a request was in flight; requests that cannot be retried safely fail with this. */
  ConnectionLost: "connection_lost",
  /** close() was called; everything still pending fails with this. */
  Closed: "closed",
  /** A message was in flight when the link dropped and history could not tell whether it was delivered. */
  DeliveryUnknown: "delivery_unknown",
  /** The server refused the handshake for good (bad parameter, or a name taken at first connect). */
  Refused: "refused",
  /** A call the client refuses before sending (e.g. send() given a command that gets no ack). */
  BadCall: "bad_call",
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class HubbubError extends Error {
  readonly code: ErrorCode | ClientErrorCode;

  constructor(code: ErrorCode | ClientErrorCode, message: string) {
    super(message);
    this.name = "HubbubError";
    this.code = code;
  }
}
