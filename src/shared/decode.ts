// Reading server frames in a client without zod: JSON.parse and a check of the discriminant.
// The server is trusted to send what shared/protocol.ts defines (its own tests hold it to the
// schemas); a client only needs to survive garbage — a proxy's error page, a truncated frame —
// without throwing. Kept apart from protocol.ts so the browser bundle has no zod in it.
import type { ServerFrame, ServerFrameType } from "./protocol.ts";

/** Every server frame type, as a record so that a type added to the protocol and missed here fails the typecheck. */
const KNOWN: Record<ServerFrameType, true> = {
  welcome: true, identity: true, users: true, presence: true, message: true, ack: true, direct: true, history: true, left: true,
  notice: true, epoch: true, ok: true, error: true, shutdown: true, pong: true,
  edited: true, deleted: true, reaction: true, typing: true, read: true, list: true,
};
const TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

/**
 * The frames of one WebSocket message: a batching server (the subprotocol hubbub.v2.batch) may
 * join several with `\n`, which JSON never holds unescaped, so splitting is exact and harmless.
 */
export function splitFrames(data: unknown): unknown[] {
  return typeof data === "string" && data.includes("\n") ? data.split("\n") : [data];
}

/** One server frame, or null for anything that is not a JSON object of a known type. */
export function decodeServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== "string") return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const type = (json as { type?: unknown }).type;
  return typeof type === "string" && TYPES.has(type) ? (json as ServerFrame) : null;
}
