// A private redis-server per test file, on a free port, without persistence. Redis tests run
// only when redis-server is installed; without it they are skipped with a message, except in
// CI (env CI set), where they must run and so fail loudly instead.
import { afterAll, beforeAll, describe, it } from "bun:test";
import { RedisClient } from "bun";
import net from "node:net";
import type { Config } from "../src/config.ts";

/** The redis-server executable, or null when it is not installed. */
export const REDIS_BIN = Bun.which("redis-server");
/** How long redis-server may take to accept connections. */
const REDIS_START_MS = 5000;

/**
 * `describe` for tests that need redis-server: skipped with a clear message when it is not
 * installed (outside CI), a failing test when it is missing in CI.
 */
export function describeRedis(name: string, fn: () => void): void {
  if (REDIS_BIN) return describe(name, fn);
  if (process.env.CI) {
    return describe(name, () => {
      it("needs redis-server", () => {
        throw new Error("redis-server is not installed, and CI requires the Redis tests (.ci/run installs it)");
      });
    });
  }
  console.warn(`skipping "${name}": redis-server is not installed (apt-get install redis-server)`);
  describe.skip(name, fn);
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Process id of the running redis-server (a new one after restart()), or 0 while it is down. */
  readonly pid: number;
  /** Kills it (SIGKILL, so its data is gone) and starts a fresh one on the same port. */
  restart(): Promise<void>;
  /** Kills it without starting another. */
  kill(): Promise<void>;
  /** Starts it again after kill(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts redis-server on a free port, without persistence; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let proc: Bun.Subprocess<"ignore", "pipe", "ignore"> | null = null;

  async function start(): Promise<void> {
    const p = Bun.spawn([REDIS_BIN ?? "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    proc = p;
    await waitForLine(p, "Ready to accept connections");
  }

  async function kill(): Promise<void> {
    const p = proc;
    proc = null;
    if (!p) return;
    p.kill("SIGKILL");
    await p.exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return proc?.pid ?? 0;
    },
    start,
    kill,
    async restart() {
      await kill();
      await start();
    },
    stop: kill,
    [Symbol.asyncDispose]: kill,
  };
}

/** Settings for a node of a test cluster on `redis`: a prefix of its own, short timings. */
export function clusterConfig(redis: RedisServer, prefix: string, overrides: Partial<Config> = {}): Partial<Config> {
  return { engine: "redis", redisUrl: redis.url, redisPrefix: prefix, nodeTtlMs: 1000, presenceIntervalMs: 10, ...overrides };
}

let prefixes = 0;
/** A key prefix no other test in this process uses, so tests can share one Redis. */
export function uniquePrefix(what = "t"): string {
  return `test-${what}-${process.pid}-${++prefixes}`;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function waitForLine(p: Bun.Subprocess<"ignore", "pipe", "ignore">, needle: string): Promise<void> {
  const reader = p.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const timeout = setTimeout(() => p.kill("SIGKILL"), REDIS_START_MS);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`redis-server exited before it was ready: ${seen.slice(-500)}`);
      seen += decoder.decode(value, { stream: true });
      if (seen.includes(needle)) break;
    }
  } finally {
    clearTimeout(timeout);
  }
  // Keep draining stdout so redis-server never blocks on a full pipe.
  void (async () => {
    while (!(await reader.read()).done);
  })().catch(() => undefined);
}

/**
 * One redis-server for a describe block, and a plain client on it for looking at (and tampering
 * with) what the engines keep: started before the block's tests, stopped after them.
 */
export function redisPerFile(): { readonly redis: RedisServer; readonly raw: RedisClient } {
  const held = { redis: null as unknown as RedisServer, raw: null as unknown as RedisClient };
  beforeAll(async () => {
    held.redis = await startRedis();
    held.raw = new RedisClient(held.redis.url);
    await held.raw.connect();
  });
  afterAll(async () => {
    held.raw?.close();
    await held.redis?.stop();
  });
  return held;
}
