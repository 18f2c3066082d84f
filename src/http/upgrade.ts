// The /ws admission pipeline: every check a request passes before it becomes a WebSocket with
// a Session as its ws.data, and the refusals (an HTTP status, counted by reason) for the rest.
import type { Server } from "bun";
import { tokenFrom, type Authenticator, type AuthResult } from "../auth.ts";
import type { Config } from "../config.ts";
import { BATCH_SUBPROTOCOL } from "../shared/limits.ts";
import { clientAddress, type IpLimits } from "../ip-limits.ts";
import type { Logger } from "../log.ts";
import type { RefusalReason } from "../metrics.ts";
import { isOriginAllowed } from "../origin.ts";
import type { Handshake, Origin, Session } from "../session.ts";

/** Whether the server admits connections now; asked at each request, never cached. */
export interface ServingState {
  /** Shutdown has begun: refuse new connections, report not-ready. */
  draining(): boolean;
  /** The engine can serve (false on a cluster node that lost Redis). */
  ready(): boolean;
}

export interface UpgradeDeps {
  config: Pick<Config, "allowedOrigins" | "trustProxy">;
  state: ServingState;
  /** Verifies tokens; null when anonymous names are allowed (no AUTH_SECRET). */
  auth: Authenticator | null;
  limits: IpLimits;
  /** Counts each refusal by reason (metrics). */
  refused(reason: RefusalReason): void;
  /** For lines any client can cause at any rate: a throttled logger. */
  noisy: Logger;
  /** A new connection's Session (its ws.data) for what the handshake asked. */
  newSession(handshake: Handshake, origin: Origin): Session;
}

/** Bun's fetch contract for /ws: a Response refuses, undefined means upgraded. */
export type UpgradeHandler = (req: Request, url: URL, srv: Server<Session>) => Response | undefined | Promise<Response | undefined>;

export function createUpgrade(deps: UpgradeDeps): UpgradeHandler {
  const { config, state, auth, limits, noisy } = deps;

  /**
   * Every refusal happens before the upgrade and costs no Session: draining, or an engine
   * that cannot serve such as a cluster node that lost Redis (503), not a WebSocket (426), a
   * foreign origin (403), the server or the address at its limit (503).
   * A bad or missing token is different: browsers cannot read an HTTP status of a failed
   * WebSocket, so the socket is upgraded and closed at once with 4401 and an error frame.
   * Neither the URL nor the token is ever logged: the query string carries the token.
   */
  function upgrade(req: Request, url: URL, srv: Server<Session>): Response | undefined | Promise<Response | undefined> {
    const refused = unavailable();
    if (refused) return refused;
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("this endpoint speaks WebSocket\n", { status: 426, headers: { Upgrade: "websocket" } });
    }
    if (!isOriginAllowed(config.allowedOrigins, req.headers.get("origin"), req.headers.get("host"))) {
      return refuse("origin", 403, "origin not allowed\n");
    }
    const offered = req.headers.get("sec-websocket-protocol");
    const { token, protocol } = tokenFrom(url, offered);
    // Whenever the client offered subprotocols we answer one ourselves, "" for none: left to
    // itself Bun echoes the first offered, which may be `bearer.<token>`.
    const answer = offered === null ? null : protocol;
    // Without AUTH_SECRET the upgrade completes synchronously: a promise returned to Bun's
    // fetch handler costs every connection a deferred response (see docs/benchmarks.md).
    if (!auth) return accept(req, url, srv, null, answer);
    return auth.verify(token).then((result) => accept(req, url, srv, result, answer));
  }

  /**
   * Upgrades a request that passed every check before the token's; the last step, synchronous.
   * `protocol` is the Sec-WebSocket-Protocol to answer, null when the client offered none.
   */
  function accept(req: Request, url: URL, srv: Server<Session>, authResult: AuthResult | null, protocol: string | null): Response | undefined {
    // Again, after the token check's await: shutdown may have begun (or the engine failed)
    // meanwhile, and a socket upgraded now would miss shutdown's close loop and hold
    // server.stop() until the deadline (test/shutdown.test.ts).
    const refused = unavailable();
    if (refused) return refused;
    const ip = clientAddress(req, srv, config.trustProxy);
    // Taken and used in one synchronous step, after the token check's await.
    const slot = limits.acquire(ip);
    if (!slot.ok) {
      noisy.warn("connection refused", { reason: slot.reason, ip });
      return refuse(slot.reason, 503, slot.reason === "server_full" ? "server full\n" : "too many connections from your address\n", { "Retry-After": "5" });
    }
    if (authResult && !authResult.ok) {
      deps.refused("unauthorized");
      noisy.info("unauthorized", { reason: authResult.reason, ip });
    }
    const q = url.searchParams;
    const batch = protocol === BATCH_SUBPROTOCOL || q.get("batch") === "1";
    const handshake = { name: q.get("name"), room: q.get("room"), since: q.get("since"), epoch: q.get("epoch"), resume: q.get("resume"), auth: authResult, batch };
    const session = deps.newSession(handshake, { ip: slot.ip, ipBucket: slot.bucket });
    const upgraded = protocol === null ? srv.upgrade(req, { data: session }) : srv.upgrade(req, { data: session, headers: { "Sec-WebSocket-Protocol": protocol } });
    if (upgraded) return undefined;
    limits.release(ip);
    return new Response("bad upgrade request\n", { status: 400 });
  }

  /** The 503 for a server that admits no one now (draining, or the engine down), else null. */
  function unavailable(): Response | null {
    if (state.draining()) return refuse("shutting_down", 503, "shutting down\n", { "Retry-After": "1" });
    // A cluster node that lost Redis cannot admit anyone (no name claims): send them elsewhere.
    if (!state.ready()) return refuse("engine_not_ready", 503, "engine not ready\n", { "Retry-After": "1" });
    return null;
  }

  function refuse(reason: RefusalReason, status: number, body: string, headers: Record<string, string> = {}): Response {
    deps.refused(reason);
    return new Response(body, { status, headers });
  }

  return upgrade;
}
