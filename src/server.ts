// createServer: wires Bun.serve (HTTP routes + the /ws upgrade) to the Hub and the Engine,
// runs the periodic sweep and owns the shutdown procedure. No protocol logic lives here.
import type { Server } from "bun";
import page from "../public/index.html";
import { CloseCode } from "./codes.ts";
import type { Config } from "./config.ts";
import { createConnectionHandlers } from "./connection.ts";
import type { Engine } from "./engine/engine.ts";
import { MemoryEngine } from "./engine/memory.ts";
import { Hub } from "./hub.ts";
import { createLogger, type Logger } from "./log.ts";
import { isOriginAllowed } from "./origin.ts";
import { encode } from "./protocol.ts";
import { Session, type SessionPolicy } from "./session.ts";
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
}

export interface App {
  readonly server: Server<Session>;
  readonly hub: Hub;
  readonly engine: Engine;
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
  const engine = deps.engine ?? new MemoryEngine({ historySize: config.historySize });
  const hub = new Hub(engine, config, log);
  const policy: SessionPolicy = {
    slowConsumerBytes: config.slowConsumerBytes,
    ratePerSecond: config.rateLimit,
    onEvict: (s, code) => log.info("evicted", { id: s.id, name: s.name, code }),
    onError: (s, err) => log.error("handler failed", { id: s.id, error: String((err as Error)?.stack ?? err) }),
  };
  let draining = false;

  const server = Bun.serve<Session>({
    port: config.port,
    hostname: config.host,
    development: false,
    routes: { "/": page },
    fetch(req, srv) {
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/ws":
          return upgrade(req, url, srv);
        case "/healthz":
          return new Response("ok\n");
        case "/readyz":
          return draining ? new Response("shutting down\n", { status: 503 }) : new Response("ready\n");
        default:
          return new Response("not found\n", { status: 404 });
      }
    },
    websocket: {
      ...createConnectionHandlers(hub, log),
      maxPayloadLength: config.maxPayloadBytes,
      backpressureLimit: config.slowConsumerBytes + BACKSTOP_HEADROOM_BYTES,
      closeOnBackpressureLimit: true,
      idleTimeout: config.idleTimeoutS,
      sendPings: true,
      // Off: several Bun bugs with compression (see ../shared/BUN-NOTES.md).
      perMessageDeflate: false,
    },
  });

  function upgrade(req: Request, url: URL, srv: Server<Session>): Response | undefined {
    if (draining) return new Response("shutting down\n", { status: 503, headers: { "Retry-After": "1" } });
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("this endpoint speaks WebSocket\n", { status: 426, headers: { Upgrade: "websocket" } });
    }
    if (!isOriginAllowed(config.allowedOrigins, req.headers.get("origin"), req.headers.get("host"))) {
      return new Response("origin not allowed\n", { status: 403 });
    }
    const q = url.searchParams;
    const session = new Session(newConnectionId(), { name: q.get("name"), room: q.get("room"), since: q.get("since") }, policy);
    if (srv.upgrade(req, { data: session })) return undefined;
    return new Response("bad upgrade request\n", { status: 400 });
  }

  hub.bind((topic, data) => server.publish(topic, data));
  await engine.start(hub);
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
      hub.stop();
      if (closed) await Promise.race([server.stop(), Bun.sleep(Math.max(0, deadline - Date.now()))]);
      await server.stop(true);
      await engine.close().catch((err) => log.error("engine close failed", { error: String(err) }));
      log.info("stopped", { clean: closed });
    })();
    return stopping;
  }

  return {
    server,
    hub,
    engine,
    httpUrl,
    wsUrl: `${httpUrl.replace(/^http/, "ws")}/ws`,
    shutdown,
    [Symbol.asyncDispose]: () => shutdown(),
  };
}

function allDrained(hub: Hub): boolean {
  for (const s of hub.all()) if (!s.closing && s.bufferedAmount() > 0) return false;
  return true;
}

/** A connection id: 12 random hex digits (also the user id in presence). */
function newConnectionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}
