// What the server does to a user as a whole, on every node: today, disconnecting it (the server
// API's `users/{id}/disconnect`, later moderation's kick and ban). As centrifuge's
// Node.Disconnect, the request is a control message through the engine, so each node closes its
// own connections of the user; this node handles its own echo like any other.
import type { Awaitable } from "./awaitable.ts";
import type { ControlMessage, Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import { CloseCode } from "./shared/codes.ts";

/** The longest close reason: RFC 6455 allows 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

export class UserControl {
  constructor(
    private readonly hub: Hub,
    private readonly engine: Engine,
  ) {}

  /** Closes every connection of `userId` on every node with 4403 and `reason`. */
  disconnect(userId: string, reason: string): Awaitable<void> {
    return this.engine.broker.control({ type: "disconnect", userId, reason: fitReason(reason) });
  }

  /** A control message for this node's connections of a user. */
  onControl(msg: Extract<ControlMessage, { type: "disconnect" }>): void {
    for (const s of this.hub.sessionsOf(msg.userId)) s.close(CloseCode.Disconnected, fitReason(msg.reason));
  }
}

/** `reason` cut to what a close frame carries (whole code points), or the catalog's when empty. */
export function fitReason(reason: string): string {
  const r = reason.trim();
  if (r === "") return "disconnected by the server";
  let out = "";
  for (const ch of r) {
    if (Buffer.byteLength(out + ch) > MAX_REASON_BYTES) break;
    out += ch;
  }
  return out;
}
