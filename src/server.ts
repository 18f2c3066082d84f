// createServer: wires Bun.serve (HTTP routes + the /ws upgrade) to the Hub and the Engine,
// runs the periodic sweep and owns the shutdown procedure. No protocol logic lives here.
import type { Server } from "bun";
import page from "../public/index.html";
import { createAuthenticator, tokenFrom, type Authenticator, type AuthResult } from "./auth.ts";
import { CloseCode, ErrorCode } from "./codes.ts";
import type { Config } from "./config.ts";
import { createConnectionHandlers } from "./connection.ts";
import { createEngine } from "./engine/create.ts";
import type { Engine } from "./engine/engine.ts";
import { Hub } from "./hub.ts";
import { clientAddress, IpLimits } from "./ip-limits.ts";
import { createLogger, throttledLogger, type Logger } from "./log.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createMetricsRoute } from "./metrics-route.ts";
import { isOriginAllowed } from "./origin.ts";
import { encode } from "./protocol.ts";
import { Session, type SessionPolicy } from "./session.ts";
import { roomTopic } from "./topics.ts";
import { waitFor } from "./wait.ts";

/** How often every session is checked for a slow buffer or silence. */
export const SWEEP_INTERVAL_MS = 100;
/**
 * Bun's own backpressure limit sits this far above SLOW_CONSUMER_BYTES. Past Bun's limit it
 * drops frames silently and closes without our code, so our eviction must come first; Bun's
 * limit stays only as the backstop for a burst that outruns the sweep.
 */
export const BACKSTOP_HEADROOM_BYTES = 4 * 1024 * 1024;
/** What `shutdown.retryAfterMs` tells clients: come back after roughly this long (plus jitter). */
export const SHUTDOWN_RETRY_AFTER_MS = 1000;
/** While draining, how often the shutdown procedure re-checks buffers and sockets. */
const DRAIN_POLL_MS = 20;

export interface AppDeps {
  engine?: Engine;
  log?: Logger;
  /** Verifies tokens; default: HS256 with AUTH_SECRET when it is set, none otherwise (anonymous). */
  authenticator?: Authenticator;
}

export interface App {
  readonly server: Server<Session>;
  readonly hub: Hub;
  readonly engine: Engine;
  readonly metrics: Metrics;
  /** Open sockets by client address (MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP). */
  readonly limits: IpLimits;
  /** The separate /metrics server when METRICS_PORT is set. */
  readonly metricsServer: Server<undefined> | null;
  /** `ws://host:port/ws` as bound (the real port when PORT=0). */
  readonly wsUrl: string;
  /** `http://host:port` as bound. */
  readonly httpUrl: string;
  /**
   * Graceful shutdown, bounded by SHUTDOWN_TIMEOUT_MS; idempotent (a second call returns the
   * same promise). Resolves once the server has stopped.
   */
  shutdown(reason?: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createServer(config: Config, deps: AppDeps = {}): Promise<App> {
  const log = deps.log ?? createLogger(config.logLevel);
  const engine = deps.engine ?? createEngine(config, log);
  // Lines any client (or a Redis outage) can cause at any rate: at most one per second each.
  const noisy = throttledLogger(log);
  const hub = new Hub(engine, config, log);
  const metrics = createMetrics(hub, engine);
  const limits = new IpLimits({ maxConnections: config.maxConnections, maxPerIp: config.maxConnectionsPerIp, ipRatePerSecond: config.ipRateLimit });
  const auth = deps.authenticator ?? (config.authSecret ? createAuthenticator(config.authSecret, config.audience) : null);
  const policy: SessionPolicy = {
    slowConsumerBytes: config.slowConsumerBytes,
    ratePerSecond: config.rateLimit,
    joinsPerSecond: config.joinRateLimit,
    onEvict: (s, code) => {
      metrics.evicted(code);
      log.info("evicted", { id: s.id, name: s.name, code });
    },
    // The client hears of it (no strike: it is not the client's fault); the log keeps the
    // detail. While the engine is down every request fails the same way, so those lines are
    // throttled; any other failure is a bug, and each one is logged with its stack.
    onError: (s, err, ref) => {
      const error = String((err as Error)?.stack ?? err);
      if (engine.ready) log.error("handler failed", { id: s.id, error });
      else noisy.warn("request failed: engine not ready", { id: s.id, error });
      const message = engine.ready ? "the server failed to handle that request" : "the server lost its cluster engine and is reconnecting; try again shortly";
      s.reject(ErrorCode.Unavailable, message, ref);
    },
    onFail: (code) => metrics.error(code),
    onSend: (bytes) => metrics.sent(bytes),
  };
  let draining = false;
  const handlers = createConnectionHandlers(hub, log);
  const metricsRoute = createMetricsRoute(metrics, config.metricsToken);

  const server = listen("port", config.port, () => Bun.serve<Session>({
    port: config.port,
    hostname: config.host,
    development: false,
    reusePort: false,
    routes: { "/": page },
    fetch(req, srv) {
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/ws":
          return upgrade(req, url, srv);
        case "/healthz":
          return new Response("ok\n");
        case "/readyz":
          if (draining) return new Response("shutting down\n", { status: 503 });
          return engine.ready ? new Response("ready\n") : new Response("engine not ready\n", { status: 503 });
        case "/metrics":
          if (config.metricsPort === null) return metricsRoute(req);
          return new Response("not found\n", { status: 404 });
        default:
          return new Response("not found\n", { status: 404 });
      }
    },
    websocket: {
      ...handlers,
      open(ws) {
        metrics.opened();
        handlers.open!(ws);
      },
      message(ws, data) {
        metrics.frameIn(typeof data === "string" ? Buffer.byteLength(data) : data.byteLength);
        handlers.message!(ws, data);
      },
      close(ws, code, reason) {
        limits.release(ws.data.ip);
        metrics.closed(code);
        handlers.close!(ws, code, reason);
      },
      maxPayloadLength: config.maxPayloadBytes,
      backpressureLimit: config.slowConsumerBytes + BACKSTOP_HEADROOM_BYTES,
      closeOnBackpressureLimit: true,
      idleTimeout: config.idleTimeoutS,
      sendPings: true,
      // Off by default: several Bun bugs with compression (see ../shared/BUN-NOTES.md).
      // COMPRESSION=1 turns it on; Bun applies maxPayloadLength to the inflated size, so a
      // small frame that inflates past MAX_PAYLOAD_BYTES still closes with 1009 (test/hardening).
      perMessageDeflate: config.compression,
    },
  }));
  let metricsServer: Server<undefined> | null = null;
  try {
    const metricsPort = config.metricsPort;
    metricsServer = metricsPort === null ? null : listen("metrics port", metricsPort, () => Bun.serve({
      port: metricsPort,
      hostname: config.host,
      development: false,
      reusePort: false,
      fetch: (req) => (new URL(req.url).pathname === "/metrics" ? metricsRoute(req) : new Response("not found\n", { status: 404 })),
    }));
  } catch (err) {
    await server.stop(true);
    throw err;
  }

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
      metrics.refused("unauthorized");
      noisy.info("unauthorized", { reason: authResult.reason, ip });
    }
    const q = url.searchParams;
    const session = new Session(newConnectionId(), { name: q.get("name"), room: q.get("room"), since: q.get("since"), auth: authResult }, policy);
    session.ip = slot.ip;
    session.ipBucket = slot.bucket;
    const upgraded = protocol === null ? srv.upgrade(req, { data: session }) : srv.upgrade(req, { data: session, headers: { "Sec-WebSocket-Protocol": protocol } });
    if (upgraded) return undefined;
    limits.release(ip);
    return new Response("bad upgrade request\n", { status: 400 });
  }

  /** The 503 for a server that admits no one now (draining, or the engine down), else null. */
  function unavailable(): Response | null {
    if (draining) return refuse("shutting_down", 503, "shutting down\n", { "Retry-After": "1" });
    // A cluster node that lost Redis cannot admit anyone (no name claims): send them elsewhere.
    if (!engine.ready) return refuse("engine_not_ready", 503, "engine not ready\n", { "Retry-After": "1" });
    return null;
  }

  function refuse(reason: Parameters<Metrics["refused"]>[0], status: number, body: string, headers: Record<string, string> = {}): Response {
    metrics.refused(reason);
    return new Response(body, { status, headers });
  }

  hub.bind(metrics.instrumentPublish((room, data) => server.publish(roomTopic(room), data)));
  // An engine that cannot start (Redis unreachable) must leave nothing listening behind.
  await engine.start(hub).catch(async (err: unknown) => {
    await Promise.all([server.stop(true), metricsServer?.stop(true)]);
    throw err;
  });
  const sweep = setInterval(() => hub.sweep(Date.now()), SWEEP_INTERVAL_MS);
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const httpUrl = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;

  let stopping: Promise<void> | null = null;
  /**
   * The order matters. (1) Refuse new upgrades and report not-ready. (2) Flush presence, then
   * tell every client why and when to return. (3) Wait for every buffer to drain, so each
   * message acknowledged before the signal reaches every member. (4) Close with 1001 and wait
   * for the sockets to go; Bun's stop() without force would wait forever on an open socket,
   * so we close them ourselves and use stop(true) only at the deadline. (5) Release the engine.
   */
  function shutdown(reason = "server shutting down"): Promise<void> {
    stopping ??= (async () => {
      draining = true;
      const deadline = Date.now() + config.shutdownTimeoutMs;
      log.info("shutting down", { connections: hub.size, timeoutMs: config.shutdownTimeoutMs });
      hub.flushPresence();
      const frame = encode({ type: "shutdown", reason, retryAfterMs: SHUTDOWN_RETRY_AFTER_MS });
      for (const s of hub.all()) s.sendEncoded(frame);
      await waitFor(() => allDrained(hub), deadline, DRAIN_POLL_MS);
      for (const s of hub.all()) s.close(CloseCode.GoingAway);
      const closed = await waitFor(() => hub.size === 0, deadline, DRAIN_POLL_MS);
      clearInterval(sweep);
      metrics.stop();
      hub.stop();
      if (closed) await Promise.race([server.stop(), Bun.sleep(Math.max(0, deadline - Date.now()))]);
      await server.stop(true);
      await metricsServer?.stop(true);
      await engine.close().catch((err) => log.error("engine close failed", { error: String(err) }));
      log.info("stopped", { clean: closed });
    })();
    return stopping;
  }

  return {
    server,
    hub,
    engine,
    metrics,
    limits,
    metricsServer,
    httpUrl,
    wsUrl: `${httpUrl.replace(/^http/, "ws")}/ws`,
    shutdown,
    [Symbol.asyncDispose]: () => shutdown(),
  };
}

/**
 * Binds one listener, turning Bun's "Is port N in use?" into one plain sentence. `reusePort:
 * false` must be explicit at every call: Bun 1.4.5 sets SO_REUSEPORT whenever `development` is
 * false, so without it a second Hubbub binds the same port and the kernel splits clients
 * between two independent hubs (test/port.test.ts). Sharing a port is never what we want.
 */
function listen<S>(what: string, port: number, serve: () => S): S {
  try {
    return serve();
  } catch (err) {
    if ((err as { code?: string }).code === "EADDRINUSE") throw new Error(`${what} ${port} is already in use`);
    throw err;
  }
}

function allDrained(hub: Hub): boolean {
  for (const s of hub.all()) if (!s.closing && s.bufferedAmount() > 0) return false;
  return true;
}

/** A connection id: 12 random hex digits (also the user id in presence). */
function newConnectionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}
