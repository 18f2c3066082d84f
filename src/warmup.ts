// The start-up warm-up: before the real server listens, a throwaway server in this process takes
// a crowd of synthetic connections, so that JavaScriptCore has compiled the admission path
// (handshake, session, hub, rooms, presence, the join answer, the close) by the time the first
// real crowd arrives. The crowd that matters is the one reconnecting after a restart, and it
// would otherwise meet a process whose code still runs in the interpreter while the JIT
// compiles it on the same cores (bench/findings.md: about a quarter of a cold storm's CPU).
//
// The throwaway shares nothing with the real server but the code: its own Hub, memory engine
// and metrics, no data directory, no webhooks, no API, bound to 127.0.0.1 on a free port for
// the fraction of a second it lives. A warm-up that fails or stalls is logged and skipped;
// it can delay start-up by at most WARMUP_TIMEOUT_MS, never stop it.
import { mintToken } from "./auth.ts";
import type { Config } from "./config.ts";
import { createLogger } from "./log.ts";
import { createServer } from "./server.ts";

/** A warm-up taking longer than this is abandoned (the server starts anyway). */
export const WARMUP_TIMEOUT_MS = 10_000;
/** Handshakes in flight at once, as a crowd of reconnecting clients would have. */
const IN_FLIGHT = 64;
/** Members of each small room; the other half of the crowd joins one room that turns large. */
const SMALL_ROOM = 10;

export interface WarmUpResult {
  /** Connections that got their join answer. */
  readonly connections: number;
  readonly ms: number;
}

/** The throwaway's settings: the real ones, minus everything that stores, sends or limits. */
export function warmUpConfig(config: Config, connections: number): Config {
  return Object.freeze({
    ...config,
    port: 0,
    host: "127.0.0.1",
    dataDir: "",
    store: "memory",
    engine: "memory",
    metricsPort: null,
    apiKey: [],
    webhookUrl: "",
    messageHookUrl: "",
    anonRooms: true,
    maxConnections: connections + 1,
    maxConnectionsPerIp: 0,
    ipRateLimit: 0,
    // Low enough that the big room crosses into the large tier halfway through its joins.
    presenceListMax: Math.max(SMALL_ROOM, Math.min(config.presenceListMax, Math.floor(connections / 4))),
    shutdownTimeoutMs: 1000,
  } satisfies Config);
}

/** Where synthetic connection `i` of `n` goes: the first half into rooms of ten, the rest into one room. */
export function warmUpRoom(i: number, n: number): string {
  const half = Math.ceil(n / 2);
  return i < half ? `warm-up-${Math.floor(i / SMALL_ROOM)}` : "warm-up-crowd";
}

/**
 * Runs `connections` synthetic clients through a throwaway server (each connects, waits for its
 * join answer and stays), closes them all, stops the server and collects its garbage.
 */
export async function warmUp(config: Config, connections: number): Promise<WarmUpResult> {
  const t0 = performance.now();
  const app = await createServer(warmUpConfig(config, connections), { log: createLogger("error") });
  const sockets: WebSocket[] = [];
  let answered = 0;
  try {
    const tokens = config.authSecret ? await mintAll(config, connections) : null;
    answered = await crowd(app.wsUrl, connections, tokens, sockets);
  } finally {
    for (const ws of sockets) ws.close();
    await app.shutdown("warm-up over");
  }
  // The crowd's garbage goes before the real server's first connection. Not Bun.shrink(): when
  // the loop is next idle it deletes all compiled code, which is what the warm-up made (reclaim.ts).
  Bun.gc(true);
  return { connections: answered, ms: Math.round(performance.now() - t0) };
}

function mintAll(config: Config, n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => mintToken(config.authSecret, `warm-up-${i}`, `w${i}`, 60, { audience: config.audience })));
}

/** Opens the clients, IN_FLIGHT handshakes at a time; resolves with how many were answered. */
function crowd(wsUrl: string, n: number, tokens: string[] | null, sockets: WebSocket[]): Promise<number> {
  const { promise, resolve } = Promise.withResolvers<number>();
  let next = 0;
  let settled = 0;
  let answered = 0;
  const timer = setTimeout(() => resolve(answered), WARMUP_TIMEOUT_MS);
  const done = (ok: boolean) => {
    settled++;
    if (ok) answered++;
    if (settled === n) {
      clearTimeout(timer);
      resolve(answered);
    } else openMore();
  };
  const openMore = () => {
    while (next < n && next - settled < IN_FLIGHT) {
      const i = next++;
      const query = new URLSearchParams({ room: warmUpRoom(i, n), name: `w${i}` });
      if (tokens) query.set("token", tokens[i]!);
      const ws = new WebSocket(`${wsUrl}?${query}`);
      sockets.push(ws);
      let over = false;
      ws.onmessage = (ev) => {
        if (over || !String(ev.data).startsWith('{"type":"users"')) return;
        over = true;
        done(true);
      };
      ws.onclose = () => {
        if (over) return;
        over = true;
        done(false);
      };
    }
  };
  if (n > 0) openMore();
  else resolve(0);
  return promise;
}
