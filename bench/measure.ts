// One measured step: the load generator sends on its open-loop plan, the run drains until
// every expected delivery arrived (or a deadline), and /proc says what the server and the
// generator spent meanwhile. Everything a table shows about a step comes from here.
import type { Histogram } from "./histogram.ts";
import type { LoadGen } from "./loadgen.ts";
import { procStats, type ProcStats } from "./proc.ts";

/** Share of its CPU budget past which a side counts as saturated. */
export const SATURATED_UTIL = 0.9;
/** How often idleMemory() reads VmRSS. */
const MEMORY_POLL_MS = 250;
/** How often the drain checks the delivery count. */
const DRAIN_POLL_MS = 20;

export interface Cpus {
  /** Cores the server may use (1 when pinned). */
  server: number;
  /** Cores the load generator may use (1 when pinned). */
  generator: number;
}

/**
 * What a step measures as "the server": one server process, or a cluster's nodes together with
 * the redis-server they share (their CPU time and memory are summed).
 */
export interface ServerSide {
  /** Every process of the server side, all expected to be running. */
  pids(): number[];
  /** Redis commands its nodes have sent so far, or null when it has no Redis. */
  redisCommands(): Promise<number | null>;
}

export interface StepPlan {
  /** Global client indexes that send, each at `ratePerSender` messages/s. */
  senders: number[];
  ratePerSender: number;
  durationMs: number;
  /** Longest wait after the last send for the deliveries still expected. */
  drainMs: number;
  /** Characters of padding after each stamp (the text is about 22 characters plus this). */
  padding: number;
  /** Load-generator clients in the room of each client, by global client index. */
  roomSizeOf(client: number): number;
  /**
   * For a cluster: how many of those are on each node (index into the rig's nodes), so that
   * every node's deliveries can be accounted for. Absent for a single server.
   */
  roomNodesOf?(client: number): number[];
}

/** The deliveries of a step to the clients on one node of a cluster. */
export interface NodeDeliveries {
  expected: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface StepResult {
  sent: number;
  expected: number;
  delivered: number;
  /** delivered / expected (1 when nothing was expected). */
  deliveredRatio: number;
  /** Deliveries of an earlier step that arrived during this one. */
  stale: number;
  offeredPerSec: number;
  /** Deliveries per second, from the first send to the last delivery seen. */
  deliveredPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU from the first send to the end of the drain. */
  serverCpuMs: number;
  cpuPerDeliveryUs: number;
  /** CPU used / CPU available, while sending, for each side (0..1). */
  serverUtil: number;
  generatorUtil: number;
  rssBytes: number;
  hwmBytes: number;
  bytesPerFrame: number;
  /** How far the generator fell behind its send plan (ms). */
  maxLagMs: number;
  errors: number;
  firstError: string;
  /** Clients the server closed during the step, by close code. */
  closes: Record<string, number>;
  saturated: Saturation;
  /** Commands the nodes sent to Redis from the first send to the end of the drain (with Redis only). */
  redisCommands?: number;
  /** redisCommands / sent: Redis round-trips per message, the nodes' background work (heartbeats) included. */
  redisCommandsPerMessage?: number;
  /** By the node the receiving clients were on (with several nodes only). */
  byNode?: NodeDeliveries[];
}

export type Saturation = "server" | "generator" | "both" | "neither";

export async function measureStep(server: ServerSide, gen: LoadGen, cpus: Cpus, plan: StepPlan): Promise<StepResult> {
  const r0 = await server.redisCommands();
  const s0 = await mustStats(server);
  const g0 = await gen.cpuMs();
  const t0 = performance.now();
  const { sent, maxLagMs } = await gen.send(plan.senders, plan.ratePerSender, plan.durationMs, plan.padding);
  const t1 = performance.now();
  const [s1, g1] = [await mustStats(server), await gen.cpuMs()];

  let expected = 0;
  let sentTotal = 0;
  const expectedByNode: number[] = [];
  for (const [i, n] of sent) {
    expected += n * plan.roomSizeOf(i);
    sentTotal += n;
    plan.roomNodesOf?.(i).forEach((members, node) => (expectedByNode[node] = (expectedByNode[node] ?? 0) + n * members));
  }
  let delivered = 0;
  let lastGrowth = t1;
  const deadline = t1 + plan.drainMs;
  for (;;) {
    const now = performance.now();
    const d = (await gen.stats()).delivered;
    if (d > delivered) lastGrowth = now;
    delivered = d;
    if (delivered >= expected || now > deadline) break;
    await Bun.sleep(DRAIN_POLL_MS);
  }
  const s2 = await mustStats(server);
  const r1 = await server.redisCommands();
  const c = await gen.collect();

  const serverUtil = (s1.cpuMs - s0.cpuMs) / (t1 - t0) / cpus.server;
  const generatorUtil = (g1 - g0) / (t1 - t0) / cpus.generator;
  const offeredPerSec = plan.ratePerSender * plan.senders.reduce((a, i) => a + plan.roomSizeOf(i), 0);
  const ms = (us: number) => us / 1000;
  return {
    sent: sentTotal,
    expected,
    delivered: c.delivered,
    deliveredRatio: expected === 0 ? 1 : c.delivered / expected,
    stale: c.stale,
    offeredPerSec,
    deliveredPerSec: c.delivered / (Math.max(lastGrowth - t0, 1) / 1000),
    p50Ms: ms(c.latency.percentile(0.5)),
    p90Ms: ms(c.latency.percentile(0.9)),
    p99Ms: ms(c.latency.percentile(0.99)),
    maxMs: ms(c.latency.max),
    serverCpuMs: s2.cpuMs - s0.cpuMs,
    cpuPerDeliveryUs: c.delivered === 0 ? Number.NaN : ((s2.cpuMs - s0.cpuMs) * 1000) / c.delivered,
    serverUtil,
    generatorUtil,
    rssBytes: s2.rssBytes,
    hwmBytes: s2.hwmBytes,
    bytesPerFrame: c.delivered === 0 ? Number.NaN : c.bytes / c.frames,
    maxLagMs,
    errors: c.errors,
    firstError: c.firstError,
    closes: c.closes,
    saturated: saturation(serverUtil, generatorUtil),
    ...(r0 !== null && r1 !== null ? { redisCommands: r1 - r0, redisCommandsPerMessage: sentTotal === 0 ? Number.NaN : (r1 - r0) / sentTotal } : {}),
    ...(plan.roomNodesOf ? { byNode: c.latencyByNode.map((h, node) => nodeDeliveries(h, expectedByNode[node] ?? 0)) } : {}),
  };
}

function nodeDeliveries(h: Histogram, expected: number): NodeDeliveries {
  return { expected, delivered: h.count, p50Ms: h.percentile(0.5) / 1000, p99Ms: h.percentile(0.99) / 1000, maxMs: h.max / 1000 };
}

export function saturation(serverUtil: number, generatorUtil: number): Saturation {
  const s = serverUtil >= SATURATED_UTIL;
  const g = generatorUtil >= SATURATED_UTIL;
  return s && g ? "both" : s ? "server" : g ? "generator" : "neither";
}

/** /proc figures of the server side, summed over its processes, which must all still be running. */
export async function mustStats(server: ServerSide): Promise<ProcStats> {
  const sum: ProcStats = { cpuMs: 0, rssBytes: 0, hwmBytes: 0 };
  for (const pid of server.pids()) {
    const s = await procStats(pid);
    if (!s) throw new Error(`server process ${pid} is gone`);
    sum.cpuMs += s.cpuMs;
    sum.rssBytes += s.rssBytes;
    sum.hwmBytes += s.hwmBytes;
  }
  return sum;
}

/** /proc figures at the lowest VmRSS seen while the server sits idle for `windowMs`. */
export async function idleMemory(server: ServerSide, windowMs: number): Promise<ProcStats> {
  let low = await mustStats(server);
  for (const end = performance.now() + windowMs; performance.now() < end; ) {
    await Bun.sleep(MEMORY_POLL_MS);
    const now = await mustStats(server);
    if (now.rssBytes < low.rssBytes) low = now;
  }
  return low;
}
