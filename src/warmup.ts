// The start-up warm-up: before the real server listens, two throwaway servers in this process
// take a crowd of synthetic connections in turns, so that JavaScriptCore has compiled the
// admission path (handshake, session, hub, rooms, presence, the join answer, the close) by the
// time the first real crowd arrives. The crowd that matters is the one reconnecting after a
// restart, and it would otherwise meet a process whose code still runs in the interpreter while
// the JIT compiles it on the same cores (bench/findings.md: about a quarter of a cold storm's
// CPU).
//
// Each throwaway shares nothing with the real server but the code: its own Hub, memory engine
// and metrics, no data directory, no webhooks, no API, bound to 127.0.0.1 on a free port for
// the fraction of a second it lives. A warm-up that fails or stalls is logged and skipped;
// it can delay start-up by at most WARMUP_TIMEOUT_MS, never stop it. It holds few sockets at
// once (each is two file descriptors here, client and server side): members of small rooms
// leave as soon as they are answered, and only the crowd room's members stay, as many as the
// process's open-file limit leaves room for, so a process limited to 1,024 open files warms up
// as quickly as any (test/warmup.test.ts).
import { readFileSync } from "node:fs";
import { mintToken } from "./auth.ts";
import type { Config } from "./config.ts";
import { createLogger } from "./log.ts";
import { createServer } from "./server.ts";

/** A warm-up taking longer than this is abandoned (the server starts anyway). */
export const WARMUP_TIMEOUT_MS = 3000;
/** Handshakes in flight at once, as a crowd of reconnecting clients would have. */
const IN_FLIGHT = 64;
/** Members of each small room. */
const SMALL_ROOM = 10;
/** Open files kept clear of the warm-up: the server's own (its database, logs, listeners) and headroom. */
const FD_RESERVE = 200;
const CROWD_ROOM = "warm-up-crowd";
/**
 * Throwaway servers taking the crowd in turns. With one, JavaScriptCore compiles the hot paths
 * against that one server's objects (its closures, its Hub), and throws the code away when
 * those objects are collected after the warm-up, or meets the real server's other objects: a
 * storm of 5,000 into rooms of ten right after the warm-up recompiled 45 functions with DFG
 * (17-20 ms on the server's core), one of 10,000 into one room 31 (12 ms). Code that has met
 * two servers at every call site holds better for a third: 26-33 (12-14 ms) and 13 (9 ms)
 * (BUN_JSC_reportCompileTimes; bench/findings.md has what it did to the storms).
 */
const WARM_UP_SERVERS = 2;

/**
 * The soft limit on open files from /proc/self/limits (Bun raises it to the hard limit at
 * start); 1,024, the usual default, where there is no such file or it cannot be read.
 */
export function openFileLimit(limits: string | null = readLimits()): number {
  const m = limits && /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!m) return 1024;
  return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

function readLimits(): string | null {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return null;
  }
}

/**
 * How many of `n` synthetic connections join the crowd room and stay: the last half, or fewer
 * where two descriptors each (and the handshakes in flight) would not fit under the limit.
 */
export function crowdOf(n: number, fdLimit = openFileLimit()): number {
  return Math.max(0, Math.min(Math.floor(n / 2), Math.floor((fdLimit - FD_RESERVE) / 2) - IN_FLIGHT));
}

export interface WarmUpResult {
  /** Connections that got their join answer. */
  readonly connections: number;
  readonly ms: number;
}

/** The throwaway's settings: the real ones, minus everything that stores, sends or limits. */
export function warmUpConfig(config: Config, connections: number, crowd = crowdOf(connections)): Config {
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
    // Low enough that each server's crowd room (half the crowd) turns large halfway through its joins.
    presenceListMax: Math.max(SMALL_ROOM, Math.min(config.presenceListMax, Math.floor(crowd / WARM_UP_SERVERS / 2))),
    shutdownTimeoutMs: 1000,
  } satisfies Config);
}

/**
 * Where synthetic connection `i` goes: which throwaway server, and which room. The servers take
 * the connections in turns, so every call site meets both servers all along. The `crowd`
 * members of the crowd room are interleaved with the rest, which go into rooms of ten, so both
 * kinds of room are in the profile the code is compiled from, whichever kind of crowd comes
 * first (a storm into one room right after recompiled 13 functions, against 16 with the crowd
 * last).
 */
export function warmUpPlan(i: number, crowd: number): { server: number; room: string } {
  const server = i % WARM_UP_SERVERS;
  // Pairs of connections (one per server) alternate small, crowd, small, crowd, … while the
  // crowd lasts; after it, every pair is small.
  const pair = Math.floor(i / WARM_UP_SERVERS);
  const crowdPairs = Math.floor(crowd / WARM_UP_SERVERS);
  if (pair < 2 * crowdPairs && pair % 2 === 1) return { server, room: CROWD_ROOM };
  const smallPair = pair < 2 * crowdPairs ? pair / 2 : pair - crowdPairs;
  return { server, room: `warm-up-${Math.floor(smallPair / SMALL_ROOM)}` };
}

/**
 * Runs `connections` synthetic clients through the throwaway servers (each connects and waits
 * for its join answer; one in a small room then leaves, one in the crowd room stays), closes
 * the rest, stops the servers and collects their garbage.
 */
export async function warmUp(config: Config, connections: number): Promise<WarmUpResult> {
  const t0 = performance.now();
  const crowdSize = crowdOf(connections);
  const apps = [];
  for (let k = 0; k < WARM_UP_SERVERS; k++) apps.push(await createServer(warmUpConfig(config, connections, crowdSize), { log: createLogger("error") }));
  const sockets: WebSocket[] = [];
  let answered = 0;
  try {
    const tokens = config.authSecret ? await mintAll(config, connections) : null;
    answered = await crowd(apps.map((a) => a.wsUrl), connections, crowdSize, tokens, sockets);
  } finally {
    for (const ws of sockets) ws.close();
    for (const app of apps) await app.shutdown("warm-up over");
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
function crowd(wsUrls: string[], n: number, crowdSize: number, tokens: string[] | null, sockets: WebSocket[]): Promise<number> {
  const { promise, resolve } = Promise.withResolvers<number>();
  let next = 0;
  let settled = 0;
  let answered = 0;
  // Once over (all settled, or the timeout), no more are opened: the caller is closing and
  // stopping the throwaway, and the handshakes still settling must not start new ones.
  let over = false;
  const finish = () => {
    over = true;
    clearTimeout(timer);
    resolve(answered);
  };
  const timer = setTimeout(finish, WARMUP_TIMEOUT_MS);
  const done = (ok: boolean) => {
    settled++;
    if (ok) answered++;
    if (settled === n) finish();
    else openMore();
  };
  const openMore = () => {
    while (!over && next < n && next - settled < IN_FLIGHT) {
      const i = next++;
      const { server, room } = warmUpPlan(i, crowdSize);
      const query = new URLSearchParams({ room, name: `w${i}` });
      if (tokens) query.set("token", tokens[i]!);
      const ws = new WebSocket(`${wsUrls[server]}?${query}`);
      sockets.push(ws);
      let settledThis = false;
      const stays = room === CROWD_ROOM;
      ws.onmessage = (ev) => {
        if (settledThis || !String(ev.data).startsWith('{"type":"users"')) return;
        settledThis = true;
        if (!stays) ws.close();
        done(true);
      };
      ws.onclose = () => {
        if (settledThis) return;
        settledThis = true;
        done(false);
      };
    }
  };
  if (n > 0) openMore();
  else finish();
  return promise;
}
