// The per-connection handler (the Go design's read pump): every inbound frame is validated
// here, rate-limited, and turned into one Hub call. Parsing costs scale with connections,
// never with the Hub. Frames of one connection are handled strictly in order (Session.enqueue).
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { ErrorCode } from "./shared/codes.ts";
import { parseCommand, runCommand } from "./commands/index.ts";
import type { Hub } from "./hub.ts";
import type { Logger } from "./log.ts";
import { parseClientFrame } from "./shared/protocol.ts";
import type { Session } from "./session.ts";

const TOO_MANY_MESSAGES = "slow down: too many messages";
const TOO_MANY_JOINS = "slow down: too many joins and leaves";

type Handlers = Pick<WebSocketHandler<Session>, "open" | "message" | "close" | "pong">;

export function createConnectionHandlers(hub: Hub, log: Logger): Handlers {
  return {
    open(ws) {
      const s = ws.data;
      s.attach(ws);
      hub.connect(s);
      s.enqueue(() => hub.admit(s));
    },
    message(ws, data) {
      const s = ws.data;
      s.touch();
      if (!s.closing) handleFrame(hub, s, data);
    },
    pong(ws) {
      ws.data.touch();
    },
    close(ws: ServerWebSocket<Session>, code, reason) {
      const s = ws.data;
      s.markClosed();
      log.debug("closed", { id: s.id, code, reason });
      // Bun runs this handler synchronously inside ws.close(), so it can be reached from deep
      // inside a Hub operation (an eviction during a sweep, shutdown's close loop). The
      // disconnect runs after that operation, as its own task.
      queueMicrotask(() => s.enqueue(() => hub.disconnect(s)));
    },
  };
}

/** Validates one frame and dispatches it. Synchronous up to the enqueue, so floods are cut here. */
export function handleFrame(hub: Hub, s: Session, data: string | Buffer): void {
  const r = parseClientFrame(data);
  if (!r.ok) return s.fail(r.code, r.message, r.ref);
  const f = r.frame;
  switch (f.type) {
    case "chat": {
      if (!s.allowMessage()) return s.fail(ErrorCode.RateLimited, TOO_MANY_MESSAGES, f.ref);
      const p = parseCommand(f.text);
      if (p.kind === "text") return s.enqueue(() => hub.say(s, f.room, "text", p.text, f.ref), f.ref);
      if ((p.name === "join" || p.name === "leave") && !s.allowMembershipChange()) return s.fail(ErrorCode.RateLimited, TOO_MANY_JOINS, f.ref);
      return s.enqueue(() => runCommand({ hub, session: s, room: f.room, ref: f.ref }, p.name, p.args), f.ref);
    }
    case "direct":
      if (!s.allowMessage()) return s.fail(ErrorCode.RateLimited, TOO_MANY_MESSAGES, f.ref);
      return s.enqueue(() => hub.direct(s, f.to, f.text, f.ref), f.ref);
    // Join/leave churn has its own budget (JOIN_RATE_LIMIT): a loop of joins and leaves would
    // otherwise turn into a presence storm for every member of the rooms it touches.
    case "join":
      if (!s.allowMembershipChange()) return s.fail(ErrorCode.RateLimited, TOO_MANY_JOINS);
      return s.enqueue(() => hub.join(s, f.room, f.since));
    case "leave":
      if (!s.allowMembershipChange()) return s.fail(ErrorCode.RateLimited, TOO_MANY_JOINS);
      return s.enqueue(() => hub.leave(s, f.room));
    case "history":
      return s.enqueue(() => hub.history(s, f.room, f.since, f.limit));
    case "ping":
      return s.enqueue(() => s.send(f.ref === undefined ? { type: "pong" } : { type: "pong", ref: f.ref }));
    default: {
      const never: never = f;
      return never;
    }
  }
}
