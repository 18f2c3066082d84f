// The rigs a scenario runs against: a fresh server process (or a cluster's nodes and their
// private redis-server) and a fresh pool of load-generator workers, started, measured and always
// cleaned up by withRig(). scenarios.ts, cluster.ts and large.ts only say what to measure.
import { metricSample } from "../test/helpers.ts";
import { startRedis, type RedisServer } from "../test/redis.ts";
import { LoadGen } from "./loadgen.ts";
import type { ServerSide } from "./measure.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { FTL_ENV } from "../src/jit.ts";
import { pinProcess, procStats, spawnServer, type ChildServer } from "./proc.ts";
import type { ServerKind } from "./results.ts";
import type { RunEnv } from "./scenarios.ts";

/**
 * Hubbub's settings for every run. RATE_LIMIT is raised from its default of 20 msg/s per
 * connection, because a benchmark sender sends far faster than a person; everything else is
 * the default.
 */
export const HUBBUB_ENV: Record<string, string> = { RATE_LIMIT: "1000000", LOG_LEVEL: "info" };
/** Sampling interval of `bun --cpu-prof` when profiling (µs). */
export const PROFILE_INTERVAL_US = 100;

/** What a rig may change for one scenario: more server settings, more generator workers. */
export interface RigOptions {
  /** Server settings on top of HUBBUB_ENV (Hubbub only; the baseline takes none). */
  env?: Record<string, string>;
  /** Load-generator worker processes, when the scenario needs more than the run's. */
  workers?: number;
}

/** How each kind of server is set up: its nodes, and whether they share a private redis-server. */
/**
 * With batched frames the server also gets a BATCH_MS window: Bun's topic publish already
 * writes everything one event-loop turn published to a subscriber in one write, so joining a
 * turn's frames saves only frame headers; a window of a few ms is what joins the frames of
 * several turns (one write per subscriber per window), which is what batching is for.
 */
export const BENCH_BATCH_MS = "20";

const SETUPS: Record<ServerKind, { nodes: number; redis: boolean; sqlite?: boolean; batch?: boolean }> = {
  baseline: { nodes: 1, redis: false },
  hubbub: { nodes: 1, redis: false },
  "hubbub+batch": { nodes: 1, redis: false, batch: true },
  "hubbub+sqlite": { nodes: 1, redis: false, sqlite: true },
  "hubbub+redis": { nodes: 1, redis: true },
  "2×hubbub+redis": { nodes: 2, redis: true },
};

/** True when a kind needs redis-server, which may not be installed. */
export const needsRedis = (kind: ServerKind): boolean => SETUPS[kind].redis;
/** True when a kind's clients ask for batched frames. */
export const batchClients = (kind: ServerKind): boolean => SETUPS[kind].batch === true;
/** How many nodes a kind's rig has. */
export const nodeCount = (kind: ServerKind): number => SETUPS[kind].nodes;

/** What a scenario runs against: one server, or a cluster's nodes and the redis-server they share. */
export interface Rig extends ServerSide {
  /** The server; a cluster's first node. */
  server: ChildServer;
  /** Every node, `server` first. */
  nodes: ChildServer[];
  /** Their WebSocket URLs, by node: what LoadGen.connect() takes. */
  wsUrls: string[];
  redis: RedisServer | null;
  /** The DATA_DIR of a `hubbub+sqlite` rig (removed with it), else null. */
  dataDir: string | null;
}

/** The counter on each node's /metrics that counts its Redis commands (src/metrics.ts). */
const REDIS_COMMANDS_METRIC = "hubbub_redis_commands_total";

/**
 * Starts a fresh rig of `kind`. Every server-side process (each node, and Redis) is pinned to
 * the server's cores: the server side gets the same CPU whatever its shape, and the load
 * generator's core stays its own (it saturates first, so anything beside it would distort every
 * latency number).
 */
async function startRig(env: RunEnv, kind: ServerKind, extra: Record<string, string>): Promise<Rig> {
  const setup = SETUPS[kind];
  const redis = setup.redis ? await startRedis() : null;
  if (redis && env.pin) pinProcess(redis.pid, env.pin.server);
  const script = kind === "baseline" ? "bench/baseline-server.ts" : "src/index.ts";
  const prof = env.profileDir && kind !== "baseline" ? ["--cpu-prof", `--cpu-prof-dir=${env.profileDir}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`] : [];
  const pin = env.pin ? ["taskset", "-c", env.pin.server] : [];
  // spawnServer gives every server DATA_DIR="" (STORE=memory in effect) unless told otherwise.
  const dataDir = setup.sqlite ? mkdtempSync(join(tmpdir(), "hubbub-bench-")) : null;
  const settings =
    kind === "baseline"
      ? {}
      : { ...HUBBUB_ENV, ...(setup.batch ? { BATCH_MS: BENCH_BATCH_MS } : {}), ...extra, ...(redis ? { ENGINE: "redis", REDIS_URL: redis.url } : {}), ...(dataDir ? { DATA_DIR: dataDir, STORE: "sqlite" } : {}) };
  // A profiled server does not re-execute itself without FTL (src/jit.ts), so it is started
  // without FTL here, as the servers it stands for run (unless the run's settings keep FTL).
  const loaded = prof.length ? loadConfig({ ...process.env, ...settings }) : null;
  if (loaded?.ok === true && !loaded.config.jitFtl) Object.assign(settings, { [FTL_ENV]: "0" });
  const nodes: ChildServer[] = [];
  try {
    while (nodes.length < setup.nodes) nodes.push(await spawnServer(settings, [...pin, process.execPath, ...prof, script]));
  } catch (err) {
    await killAll(nodes, redis);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    dataDir,
    server: nodes[0]!,
    nodes,
    wsUrls: nodes.map((n) => n.wsUrl),
    redis,
    pids: () => [...nodes.map((n) => n.proc.pid), ...(redis ? [redis.pid] : [])],
    async redisCommands() {
      if (!redis) return null;
      const texts = await Promise.all(nodes.map(async (n) => (await fetch(`${n.httpUrl}/metrics`)).text()));
      return texts.reduce((sum, text) => sum + (metricSample(text, REDIS_COMMANDS_METRIC) ?? Number.NaN), 0);
    },
  };
}

/** Stops every process of a rig at once. */
async function killAll(nodes: ChildServer[], redis: RedisServer | null): Promise<void> {
  await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
  await redis?.stop();
}

/** What a profiled run keeps beside each node's profile (`process-<pid>.json`). */
export interface ProfiledProcess {
  pid: number;
  /** Index of the node in its rig. */
  node: number;
  /** CPU time of the whole process (the profile covers its whole life); null when unknown. */
  cpuMs: number | null;
}

/** Stops a server: gracefully when profiling (the profile is written at exit), else at once. */
async function stopServer(env: RunEnv, server: ChildServer, node: number): Promise<void> {
  if (env.profileDir) {
    // The profile covers the process's whole life; keep its CPU time to set the samples against.
    const last = await procStats(server.proc.pid);
    const kept: ProfiledProcess = { pid: server.proc.pid, node, cpuMs: last?.cpuMs ?? null };
    await Bun.write(`${env.profileDir}/process-${server.proc.pid}.json`, JSON.stringify(kept));
    server.proc.kill("SIGTERM");
    await Promise.race([server.exited, Bun.sleep(15_000)]);
  }
  await server[Symbol.asyncDispose]();
}

/** Kill switches of every rig still running, for a run that gives up on a scenario. */
const live = new Set<() => Promise<void>>();

/** Stops every server and load generator still running (after a scenario timed out). */
export async function abortRigs(): Promise<void> {
  await Promise.all([...live].map((kill) => kill()));
}

/** Runs `body` with a fresh rig and load generator, and always cleans both up. */
export async function withRig<T>(env: RunEnv, kind: ServerKind, body: (rig: Rig, gen: LoadGen) => Promise<T>, opts: RigOptions = {}): Promise<T> {
  const rig = await startRig(env, kind, opts.env ?? {});
  const gen = LoadGen.start({ workers: Math.max(env.workers, opts.workers ?? 0), cpus: env.pin?.generator ?? null });
  const kill = async () => {
    live.delete(kill);
    await gen[Symbol.asyncDispose]();
    await killAll(rig.nodes, rig.redis);
  };
  live.add(kill);
  try {
    return await body(rig, gen);
  } finally {
    live.delete(kill);
    await gen[Symbol.asyncDispose]();
    for (const [i, node] of rig.nodes.entries()) await stopServer(env, node, i);
    await rig.redis?.stop();
    if (rig.dataDir) rmSync(rig.dataDir, { recursive: true, force: true });
  }
}
