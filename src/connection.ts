// The per-connection handler (the Go design's read pump): every inbound frame is validated
// here, metered, and turned into one call on the services, queued on the session so a
// connection's frames are answered strictly in order. Every frame type has a budget: chat and
// direct RATE_LIMIT (and the address's IP_RATE_LIMIT), join and leave JOIN_RATE_LIMIT, every
// other request (edits, deletes and reactions too) REQUEST_RATE_LIMIT; and the queue of a
// connection's waiting work is bounded. A frame over its budget is answered `rate_limited` (with its ref) and counts a strike.
import type { ServerWebSocket, WebSocketHandler } from "bun";
import { findCommand, parseCommand, runCommand } from "./commands/index.ts";
import type { Hub } from "./hub.ts";
import type { Logger } from "./log.ts";
import type { Services } from "./services.ts";
import type { Session } from "./session.ts";
import type { Task } from "./serial-queue.ts";
import { ErrorCode } from "./shared/codes.ts";
import { parseClientFrame, type Ref } from "./shared/protocol.ts";

const TOO_MANY_MESSAGES = "slow down: too many messages";
const TOO_MANY_JOINS = "slow down: too many joins and leaves";
const TOO_MANY_REQUESTS = "slow down: too many requests";
const TOO_MUCH_WAITING = "slow down: too many requests waiting for an answer";

type Handlers = Pick<WebSocketHandler<Session>, "open" | "message" | "close" | "pong">;

export function createConnectionHandlers(hub: Hub, services: Services, log: Logger): Handlers {
  return {
    open(ws) {
      const s = ws.data;
      s.attach(ws);
      hub.connect(s);
      s.enqueue(() => services.admission.admit(s));
    },
    message(ws, data) {
      const s = ws.data;
      s.touch();
      if (!s.closing) handleFrame(services, s, data);
    },
    pong(ws) {
      ws.data.touch();
    },
    close(ws: ServerWebSocket<Session>, code, reason) {
      const s = ws.data;
      s.markClosed();
      log.debug("closed", { id: s.conn, code, reason });
      // Bun runs this handler synchronously inside ws.close(), so it can be reached from deep
      // inside an operation (an eviction during a sweep, shutdown's close loop). The
      // disconnect runs after that operation, as its own task, whatever the queue's bound.
      queueMicrotask(() => s.enqueue(() => services.admission.disconnect(s), undefined, true));
    },
  };
}

/** The budget a frame is metered against. */
type Budget = "message" | "membership" | "request";

/** Validates one frame, meters it and queues its handler. Synchronous up to the enqueue, so floods are cut here. */
export function handleFrame(services: Services, s: Session, data: string | Buffer): void {
  const r = parseClientFrame(data);
  if (!r.ok) return s.fail(r.code, r.message, r.ref);
  const f = r.frame;
  const { rooms, messages, names } = services;
  switch (f.type) {
    case "chat": {
      const p = parseCommand(f.text);
      if (p.kind === "text") return run(s, "message", f.ref, () => messages.say(s, f.room, "text", p.text, f.cid, f.ref));
      const cmd = findCommand(p.name);
      const budget: Budget = cmd?.membership ? "membership" : "message";
      return run(s, budget, f.ref, () => runCommand({ services, session: s, room: f.room, cid: f.cid, ref: f.ref }, p.name, p.args));
    }
    case "direct":
      return run(s, "message", f.ref, () => messages.direct(s, f.to, f.text, f.cid, f.ref));
    // Join/leave churn has its own budget: a loop of joins and leaves would otherwise turn into
    // a presence storm for every member of the rooms it touches.
    case "join":
      return run(s, "membership", f.ref, () => rooms.join(s, f.room, { since: f.since, epoch: f.epoch }, f.ref));
    case "leave":
      return run(s, "membership", f.ref, () => rooms.leave(s, f.room, f.ref));
    case "nick":
      return run(s, "request", f.ref, () => names.rename(s, f.name, f.ref));
    case "who":
      if (f.id !== undefined || f.name !== undefined) return run(s, "request", f.ref, () => rooms.lookup(s, f.room, f, f.ref));
      return run(s, "request", f.ref, () => rooms.who(s, f.room, f.after, f.limit, f.ref));
    case "history":
      return run(s, "request", f.ref, () => rooms.history(s, f.room, f, f.ref));
    // Typing reports and read markers are requests like any other (REQUEST_RATE_LIMIT).
    case "typing":
      return run(s, "request", f.ref, () => services.typing.report(s, f.room, f.ref));
    case "read":
      return run(s, "request", f.ref, () => services.reads.mark(s, f.room, f.seq, f.ref));
    case "ping":
      return run(s, "request", f.ref, () => s.send(f.ref === undefined ? { type: "pong" } : { type: "pong", ref: f.ref }));
    // Changes to stored messages (message-edits.ts), metered as requests.
    case "edit":
      return run(s, "request", f.ref, () => services.edits.edit(s, f.room, f.id, f.text, f.ref));
    case "delete":
      return run(s, "request", f.ref, () => services.edits.delete(s, f.room, f.id, f.ref));
    case "react":
      return run(s, "request", f.ref, () => services.edits.react(s, f.room, f.id, f.emoji, f.on, f.ref));
    // Room actions (moderation.ts) and the list of public rooms, metered as requests.
    case "topic":
    case "invite":
    case "kick":
    case "ban":
    case "unban":
    case "mute":
    case "unmute":
    case "role":
    case "mode":
      return run(s, "request", f.ref, () => services.moderation.act(s, f));
    case "list":
      return run(s, "request", f.ref, () => services.moderation.list(s, f.cursor, f.ref));
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Takes a token from the frame's budget and queues its handler, or refuses it. */
function run(s: Session, budget: Budget, ref: Ref | undefined, task: Task): void {
  const allowed = budget === "message" ? s.allowMessage() : budget === "membership" ? s.allowMembershipChange() : s.allowRequest();
  if (!allowed) return s.fail(ErrorCode.RateLimited, budget === "message" ? TOO_MANY_MESSAGES : budget === "membership" ? TOO_MANY_JOINS : TOO_MANY_REQUESTS, ref);
  if (!s.enqueue(task, ref)) s.fail(ErrorCode.RateLimited, TOO_MUCH_WAITING, ref);
}
