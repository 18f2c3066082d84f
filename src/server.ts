// createServer, the composition root: builds the Hub, the Engine and the metrics, hands
// Bun.serve the router (http/routes.ts) and the /ws admission pipeline (http/upgrade.ts), runs
// the periodic sweep and owns the shutdown procedure. No protocol or routing logic lives here.
import type { Server } from "bun";
import page from "../public/index.html";
import { createAuthenticator, type Authenticator } from "./auth.ts";
import { CloseCode, ErrorCode } from "./shared/codes.ts";
import type { Config } from "./config.ts";
import { createConnectionHandlers } from "./connection.ts";
import { andThen } from "./awaitable.ts";
import { createEngine } from "./engine/create.ts";
import type { Engine, EngineSink } from "./engine/engine.ts";
import { Hub } from "./hub.ts";
import { createResumeTokens, loadGuestSecret } from "./identity.ts";
import { createApi } from "./http/api/index.ts";
import type { ReadMarkerStore } from "./read-markers.ts";
import { createServices } from "./services.ts";
import { createWebhooks, type WebhookTimings, type Webhooks } from "./webhooks/index.ts";
import { createMetricsOnlyRoutes, createRoutes } from "./http/routes.ts";
import { createUpgrade, type ServingState } from "./http/upgrade.ts";
import { IpLimits } from "./ip-limits.ts";
import { createLogger, throttledLogger, type Logger } from "./log.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createMetricsRoute } from "./metrics-route.ts";
import { encode } from "./shared/protocol.ts";
import { Session, type SessionPolicy } from "./session.ts";
import { Reclaimer } from "./reclaim.ts";
import { batchTopic, roomTopic } from "./topics.ts";
import { waitFor } from "./wait.ts";

/** How often every session is checked for a slow buffer or silence. */
export const SWEEP_INTERVAL_MS = 100;
/**
 * Bun's own backpressure limit sits this far above SLOW_CONSUMER_BYTES. Past Bun's limit it
 * drops frames silently and closes without our code, so our eviction must come first; Bun's
 * limit stays only as the backstop for a burst that outruns the sweep. It is also where our
 * close frame is lost: Bun 1.4.5's close() over the limit sends only a FIN, no 4008
 * (oven-sh/bun#39843, open). Under a firehose on a loaded machine our eviction landed at up
 * to 4.5 MB buffered (16 KB frames, two CPU hogs), so with 4 MiB here the sloth of
 * test/abuse.test.ts lost its 4008 about one run in five; evicted connections are cut after
 * EVICT_GRACE_MS, so this bounds a burst, not what a sloth keeps.
 */
export const BACKSTOP_HEADROOM_BYTES = 16 * 1024 * 1024;
/** What `shutdown.retryAfterMs` tells clients: come back after roughly this long (plus jitter). */
export const SHUTDOWN_RETRY_AFTER_MS = 1000;
/** While draining, how often the shutdown procedure re-checks buffers and sockets. */
const DRAIN_POLL_MS = 20;

export interface AppDeps {
  engine?: Engine;
  log?: Logger;
  /** Verifies tokens; default: HS256 with AUTH_SECRET when it is set, none otherwise (anonymous). */
  authenticator?: Authenticator;
  /** Webhook timings (tests): shorter retries and leave grace than the defaults. */
  webhookTimings?: WebhookTimings;
  /** Where read markers are kept (read-markers.ts); default: in memory, for the life of the process. */
  markers?: ReadMarkerStore;
}

export interface App {
  readonly server: Server<Session>;
  readonly hub: Hub;
  readonly engine: Engine;
  readonly metrics: Metrics;
  /** Open sockets by client address (MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP). */
  readonly limits: IpLimits;
  /** Webhooks and the message hook (absent parts are no-ops). */
  readonly webhooks: Webhooks;
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
  const hub = new Hub(config);
  const metrics = createMetrics(hub, engine);
  const limits = new IpLimits({ maxConnections: config.maxConnections, maxPerIp: config.maxConnectionsPerIp, ipRatePerSecond: config.ipRateLimit });
  const auth = deps.authenticator ?? (config.authSecret ? createAuthenticator(config.authSecret, config.audience) : null);
  const tokens = config.authSecret ? null : createResumeTokens(loadGuestSecret(config.guestSecret, config.dataDir, log));
  // Webhooks first: their outbox may refuse to open (a DATA_DIR another server holds).
  const webhooks = createWebhooks(config, {
    log,
    noisy,
    registry: metrics.registry,
    nodeId: engine.nodeId,
    isMember: (room, userId) => services.rooms.has(room, userId),
    timings: deps.webhookTimings,
  });
  const services = createServices(hub, engine, config, tokens, { events: webhooks.events, hook: webhooks.hook, markers: deps.markers ?? engine.readMarkers });
  const policy: SessionPolicy = {
    ratePerSecond: config.rateLimit,
    joinsPerSecond: config.joinRateLimit,
    requestsPerSecond: config.requestRateLimit,
    beforeDirect: (s) => hub.flushBatches(s),
    sent: (s, status, bytes) => {
      metrics.sent(bytes);
      hub.slow.sent(s, status);
    },
    onEvict: (s, code, buffered) => {
      metrics.evicted(code);
      log.info("evicted", { id: s.conn, name: s.name, code, buffered });
    },
    // The client hears of it (no strike: it is not the client's fault); the log keeps the
    // detail. While the engine is down every request fails the same way, so those lines are
    // throttled; any other failure is a bug, and each one is logged with its stack.
    onError: (s, err, ref) => {
      const error = String((err as Error)?.stack ?? err);
      if (engine.ready) log.error("handler failed", { id: s.conn, error });
      else noisy.warn("request failed: engine not ready", { id: s.conn, error });
      const message = engine.ready ? "the server failed to handle that request" : "the server lost its cluster engine and is reconnecting; try again shortly";
      s.reject(ErrorCode.Unavailable, message, ref);
    },
    onFail: (code) => metrics.error(code),
  };
  let draining = false;
  const reclaim = new Reclaimer(() => {
    const t = performance.now();
    Bun.gc(true);
    log.debug("collected after a burst of connections", { ms: Math.round(performance.now() - t), connections: hub.size });
  }, Date.now());
  const handlers = createConnectionHandlers(hub, services, log);
  const metricsRoute = createMetricsRoute(metrics, config.metricsToken);
  const state: ServingState = { draining: () => draining, ready: () => engine.ready };
  const upgrade = createUpgrade({
    config,
    state,
    auth,
    limits,
    refused: (reason) => metrics.refused(reason),
    noisy,
    newSession: (handshake, origin) => new Session(newConnectionId(), handshake, policy, origin),
  });
  const api = config.apiKey.length > 0 ? createApi({ services, engine, config, state, log, noisy, registry: metrics.registry }) : null;
  const routes = createRoutes({ state, metrics: config.metricsPort === null ? metricsRoute : null, upgrade, api });

  // A listener that fails to start releases what is already open: the webhooks' outbox, and the
  // engine's data directory lock and database.
  const opened = { close: async () => void (await Promise.allSettled([webhooks.close(), engine.close()])) };
  const server = listenOrClose(opened, () => listen("port", config.port, () => Bun.serve<Session>({
    port: config.port,
    hostname: config.host,
    development: false,
    reusePort: false,
    routes: { "/": page },
    fetch: routes,
    websocket: {
      ...handlers,
      open(ws) {
        metrics.opened();
        reclaim.changed();
        handlers.open!(ws);
      },
      message(ws, data) {
        metrics.frameIn(typeof data === "string" ? Buffer.byteLength(data) : data.byteLength);
        handlers.message!(ws, data);
      },
      close(ws, code, reason) {
        limits.release(ws.data.ip);
        metrics.closed(code);
        reclaim.changed();
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
  })));
  let metricsServer: Server<undefined> | null = null;
  try {
    const metricsPort = config.metricsPort;
    metricsServer = metricsPort === null ? null : listen("metrics port", metricsPort, () => Bun.serve({
      port: metricsPort,
      hostname: config.host,
      development: false,
      reusePort: false,
      fetch: createMetricsOnlyRoutes(metricsRoute),
    }));
  } catch (err) {
    await server.stop(true);
    await opened.close();
    throw err;
  }

  hub.bind(metrics.instrumentPublish((room, data) => server.publish(roomTopic(room), data)), (msg) => {
    void Promise.resolve()
      .then(() => services.onControl(msg))
      .catch((err: unknown) => noisy.warn("control message failed", { type: msg.type, error: String(err) }));
  }, (room) => andThen(engine.presence.page(room, undefined, 0), (p) => p.count), (room, data) => hub.slow.published(room, server.publish(batchTopic(room), data)));
  // An engine that cannot start (Redis unreachable) must leave nothing listening behind.
  // With webhooks the engine's presence changes also feed member.joined / member.left; without,
  // the Hub is the sink itself and the delivery path has no extra call.
  const sink: EngineSink = config.webhookUrl
    ? {
        publishRoom: (room, data) => hub.publishRoom(room, data),
        sendToUser: (userId, data, except) => hub.sendToUser(userId, data, except),
        presence(room, joins, leaves, origin) {
          hub.presence(room, joins, leaves);
          webhooks.presence(room, joins, leaves, origin);
        },
        control: (msg) => hub.control(msg),
        restarted: (room, pos) => hub.restarted(room, pos),
      }
    : hub;
  await engine.start(sink).catch(async (err: unknown) => {
    await Promise.all([server.stop(true), metricsServer?.stop(true)]);
    await opened.close();
    throw err;
  });
  const sweep = setInterval(() => {
    const now = Date.now();
    hub.sweep(now);
    reclaim.tick(now);
  }, SWEEP_INTERVAL_MS);
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
      services.typing.stop();
      services.names.stop();
      if (closed) await Promise.race([server.stop(), Bun.sleep(Math.max(0, deadline - Date.now()))]);
      await server.stop(true);
      await metricsServer?.stop(true);
      await engine.close().catch((err) => log.error("engine close failed", { error: String(err) }));
      // After the engine: the last leaves are in. Undelivered events stay in DATA_DIR/webhooks.db.
      await webhooks.close().catch((err) => log.error("webhooks close failed", { error: String(err) }));
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
    webhooks,
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

/** Runs `start`; if it throws, what was opened before it (the webhook outbox) is closed first. */
function listenOrClose<S>(opened: { close(): Promise<void> }, start: () => S): S {
  try {
    return start();
  } catch (err) {
    void opened.close();
    throw err;
  }
}

function allDrained(hub: Hub): boolean {
  for (const s of hub.all()) if (!s.closing && s.bufferedAmount() > 0) return false;
  return true;
}

/** A connection id: 12 random hex digits (also a new guest's user id). */
function newConnectionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}
