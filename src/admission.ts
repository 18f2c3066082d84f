// A connection's arrival and departure. admit() settles who the connection is — a token's user,
// a returning guest (resume token), or a new guest — claims the user's name, sends `welcome`
// and joins the handshake's room; every refusal is an `error` frame and a catalog close code.
// disconnect() takes a closed connection out of its rooms and, with the user's last connection
// here, frees the name.
import { andThen, type Awaitable } from "./awaitable.ts";
import type { Config } from "./config.ts";
import type { Engine } from "./engine/engine.ts";
import type { Hub } from "./hub.ts";
import type { ResumeTokens } from "./identity.ts";
import { DEFAULT_ROOM, normalizeRoom } from "./names.ts";
import type { Rooms } from "./rooms.ts";
import { CloseCode, ErrorCode } from "./shared/codes.ts";
import { PROTOCOL_VERSION } from "./shared/limits.ts";
import { ROOM_RULE } from "./shared/names.ts";
import type { Session } from "./session.ts";
import { checkName, type UserNames } from "./user-names.ts";
import { noEvents, type EventSink } from "./webhooks/events.ts";

/** Longest `epoch` accepted in the handshake. */
const MAX_EPOCH_LENGTH = 64;

export class Admission {
  constructor(
    private readonly hub: Hub,
    private readonly rooms: Rooms,
    private readonly names: UserNames,
    private readonly engine: Engine,
    private readonly config: Config,
    private readonly tokens: ResumeTokens | null,
    /** Where user.connected / user.disconnected go (webhooks). */
    private readonly events: EventSink = noEvents,
  ) {}

  /**
   * Admits a freshly opened connection. Synchronous with an engine that answers synchronously
   * (awaitable.ts), so the 101, `welcome` and `users` leave in one write. When the engine fails
   * midway (a cluster node losing Redis), the client is told `unavailable` and closed with 1013
   * rather than left waiting for a user list that will not come.
   */
  admit(s: Session): Awaitable<void> {
    const failed = (err: unknown): never => {
      s.reject(ErrorCode.Unavailable, "the server cannot admit you right now; try again shortly");
      s.close(CloseCode.TryAgainLater);
      throw err;
    };
    try {
      const admitted = this.tryAdmit(s);
      return admitted instanceof Promise ? admitted.catch(failed) : admitted;
    } catch (err) {
      return failed(err);
    }
  }

  private tryAdmit(s: Session): Awaitable<void> {
    const hs = s.handshake;
    if (!hs) return;
    if (hs.auth && !hs.auth.ok) return refuse(s, ErrorCode.Unauthorized, "a valid token is required", CloseCode.Unauthorized);
    const allowed = hs.auth?.ok ? hs.auth.identity.rooms : undefined;
    if (hs.auth?.ok) s.grant(allowed, hs.auth.identity.admin === true);
    // Without `room`, a token's first named room (a pattern names none), else the default room.
    const named = allowed?.find((r) => !r.endsWith("*"));
    const room = hs.room === null ? (named ?? DEFAULT_ROOM) : normalizeRoom(hs.room);
    if (room === null) return refuse(s, ErrorCode.InvalidRoom, ROOM_RULE, CloseCode.BadHandshake);
    if (!s.mayJoin(room)) return refuse(s, ErrorCode.Unauthorized, `your token does not allow room ${room}`, CloseCode.BadHandshake);
    const since = hs.since === null ? undefined : parseSeq(hs.since);
    if (since === null) return refuse(s, ErrorCode.InvalidMessage, "since must be a non-negative integer", CloseCode.BadHandshake);
    if (hs.epoch !== null && (hs.epoch.length === 0 || hs.epoch.length > MAX_EPOCH_LENGTH)) {
      return refuse(s, ErrorCode.InvalidMessage, `epoch must be 1-${MAX_EPOCH_LENGTH} characters`, CloseCode.BadHandshake);
    }

    // Who: a token's user (its name, whatever `name` says); a returning guest (its id, and its
    // name unless `name` asks for another); or a new guest, whose user id is this connection's.
    const returning = hs.auth ? null : (this.tokens?.verify(hs.resume) ?? null);
    if (hs.auth?.ok) s.identify(hs.auth.identity.userId);
    else if (returning) s.identify(returning.id);
    const requested = hs.auth?.ok ? hs.auth.identity.name : (hs.name ?? returning?.name ?? null);
    // A returning guest's old name may have been taken meanwhile: then it becomes a guest name.
    const mayFallBack = !hs.auth && hs.name === null && returning !== null;
    let claimed: Awaitable<boolean>;
    if (requested === null) claimed = this.names.claimGuest(s);
    else {
      const c = checkName(requested);
      if (!c.ok) return refuse(s, ErrorCode.InvalidName, c.message, CloseCode.BadHandshake);
      claimed = andThen(this.names.claim(s, c.name, c.key), (ok) => ok || (mayFallBack && this.names.claimGuest(s)));
    }
    return andThen(claimed, (ok) => {
      if (!ok) return refuse(s, ErrorCode.NameTaken, `the name ${requested} is taken`, CloseCode.NameTaken);
      s.handshakeDone();
      this.hub.admit(s);
      if (this.hub.sessionsOf(s.userId).length === 1) this.events.emit("user.connected", { user: s.member, node: this.engine.nodeId });
      const c = this.config;
      s.send({
        type: "welcome", protocol: PROTOCOL_VERSION, conn: s.conn, ...this.names.identity(s),
        limits: { maxTextLength: c.maxTextLength, maxPayloadBytes: c.maxPayloadBytes, ratePerSecond: c.rateLimit, joinsPerSecond: c.joinRateLimit, requestsPerSecond: c.requestRateLimit, historySize: c.historySize },
      });
      return this.rooms.join(s, room, { since, epoch: hs.epoch ?? undefined });
    });
  }

  /**
   * Removes a closed session everywhere: its rooms (announced as presence leaves) and, with the
   * user's last connection here, its name. The close handler queues this behind the session's
   * other tasks, so it runs after admit().
   */
  async disconnect(s: Session): Promise<void> {
    const member = s.member;
    const admitted = this.hub.sessionsOf(s.userId).includes(s);
    const { rooms, lastOfUser } = this.hub.remove(s);
    if (admitted && lastOfUser) this.events.emit("user.disconnected", { user: member, node: this.engine.nodeId });
    // allSettled: one failed leave (an engine outage) must not keep the name from being released.
    const failed = (await Promise.allSettled(rooms.map((room) => this.engine.presence.leave(room, member)))).filter((r) => r.status === "rejected");
    if (lastOfUser) await this.names.release(s.userId, s.nameKey);
    if (failed.length) throw (failed[0] as PromiseRejectedResult).reason;
  }
}

function refuse(s: Session, code: ErrorCode, message: string, close: CloseCode): void {
  s.handshakeDone();
  s.send({ type: "error", code, message });
  s.close(close);
}

/** A `since` from the URL: a non-negative safe integer, or null. */
function parseSeq(raw: string): number | null {
  if (!/^\d{1,16}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}
