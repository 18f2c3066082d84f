// Reading server frames in a client without zod: JSON.parse and a check of the discriminant.
// The server is trusted to send what shared/protocol.ts defines (its own tests hold it to the
// schemas); a client only needs to survive garbage — a proxy's error page, a truncated frame —
// without throwing. Kept apart from protocol.ts so the browser bundle has no zod in it.
import type { ServerFrame, ServerFrameType } from "./protocol.ts";

/** Every server frame type (one string, which minifies smaller than a list of them). */
const KNOWN = "welcome identity users presence message ack direct history left notice epoch ok error shutdown pong edited deleted reaction typing read list";
const TYPES: ReadonlySet<string> = new Set(KNOWN.split(" "));
/** A type added to the protocol and missed in KNOWN fails the typecheck here. */
type Listed<S extends string> = S extends `${infer T} ${infer Rest}` ? T | Listed<Rest> : S;
type UnlistedFrameTypes = Exclude<ServerFrameType, Listed<typeof KNOWN>>;
const _allListed: [UnlistedFrameTypes] extends [never] ? true : never = true;

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
