// The one error type the SDK rejects with. `code` is either a server error code (from an
// `error` frame) or one of the client-side codes below, so callers switch on one field.
import type { ErrorCode } from "../shared/codes.ts";

/** Failures the client itself detects, next to the server's ErrorCode catalog. */
export const ClientErrorCode = {
  /** The connection dropped while a request was in flight; requests that cannot be retried safely fail with this. */
  ConnectionLost: "connection_lost",
  /** close() was called; everything still pending fails with this. */
  Closed: "closed",
  /** A message was in flight at a drop longer ago than the server remembers its cid: a retry could deliver it twice, so it is not retried. */
  DeliveryUnknown: "delivery_unknown",
  /** The server refused the handshake for good (bad parameter or token, a name taken at first connect, another protocol version). */
  Refused: "refused",
  /** The server answered a request with a frame of a type the protocol does not allow there. */
  Protocol: "protocol_error",
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
