// The scenarios, each sized for the three modes. A scenario runs against one server kind in a
// fresh server process and a fresh pool of load-generator workers, and returns what
// results.ts describes; run.ts runs every scenario against the baseline, then Hubbub.
import { rawWebSocket } from "../test/helpers.ts";
import type { ClientSpec } from "./ipc.ts";
import type { LoadGen } from "./loadgen.ts";
import { idleMemory, measureStep, mustStats, saturation, type Cpus, type StepPlan } from "./measure.ts";
import type { ConnectStormResult, PresenceStormResult, ScenarioResult, ServerKind, StepRow, StepsResult } from "./results.ts";
import { withRig, type Rig, type RigOptions } from "./rig.ts";

export { HUBBUB_ENV, PROFILE_INTERVAL_US, abortRigs, needsRedis, nodeCount, withRig, type ProfiledProcess, type Rig } from "./rig.ts";

export type Mode = "smoke" | "quick" | "full";

export interface RunEnv {
  mode: Mode;
  /** taskset CPU lists for the server and the load generator, or null when not pinned. */
  pin: { server: string; generator: string } | null;
  cpus: Cpus;
  workers: number;
  /** When set, Hubbub runs under `bun --cpu-prof` writing into this directory. */
  profileDir: string | null;
  log(line: string): void;
}


/** A step passes with at least this share delivered and a p99 at most PASS_P99_MS. */
export const PASS_DELIVERED = 0.99;
export const PASS_P99_MS = 250;
/** Characters after each stamp: a text of about 40 characters, a typical chat line. */
export const PADDING = 18;
/** Handshakes in flight per worker during a storm. */
export const STORM_CONCURRENCY = 128;
/** Handshakes in flight per worker when only the steady state matters. */
export const SETUP_CONCURRENCY = 64;
/**
 * How long connections sit idle before their memory is read. RSS falls for several seconds
 * after a storm, as the garbage of thousands of handshakes is collected and returned; the
 * lowest VmRSS seen in this window is taken.
 */
export const MEMORY_SETTLE_MS: Record<Mode, number> = { smoke: 500, quick: 6000, full: 15_000 };
/** Pause after connecting, so presence traffic and JIT warm-up settle before measuring. */
export const SETTLE_MS: Record<Mode, number> = { smoke: 200, quick: 1000, full: 1000 };

interface Sizes {
  fanoutSmall: { clients: number; senders: number; rate: number; durationMs: number };
  fanoutLarge: { clients: number; senders: number; rate: number; durationMs: number };
  ramp: { clients: number; senders: number; deliveriesPerSec: number[]; durationMs: number };
  manyRooms: { clients: number; roomSize: number; rate: number; durationMs: number };
  presence: { members: number };
  slow: { clients: number; slowSockets: number; senders: number; rate: number; durationMs: number; padding: number };
  drainMs: number;
}

export const SIZES: Record<Mode, Sizes> = {
  smoke: {
    fanoutSmall: { clients: 20, senders: 4, rate: 20, durationMs: 500 },
    fanoutLarge: { clients: 50, senders: 5, rate: 20, durationMs: 500 },
    ramp: { clients: 50, senders: 5, deliveriesPerSec: [2_000, 5_000], durationMs: 500 },
    manyRooms: { clients: 100, roomSize: 10, rate: 2, durationMs: 500 },
    presence: { members: 50 },
    slow: { clients: 50, slowSockets: 2, senders: 5, rate: 20, durationMs: 500, padding: 1000 },
    drainMs: 2000,
  },
  quick: {
    fanoutSmall: { clients: 100, senders: 10, rate: 100, durationMs: 3000 },
    fanoutLarge: { clients: 1000, senders: 5, rate: 20, durationMs: 3000 },
    ramp: { clients: 1000, senders: 10, deliveriesPerSec: [100_000, 400_000, 800_000], durationMs: 3000 },
    manyRooms: { clients: 5000, roomSize: 10, rate: 1, durationMs: 3000 },
    presence: { members: 1000 },
    slow: { clients: 1000, slowSockets: 10, senders: 5, rate: 20, durationMs: 3000, padding: 1000 },
    drainMs: 2000,
  },
  full: {
    fanoutSmall: { clients: 100, senders: 10, rate: 100, durationMs: 10_000 },
    fanoutLarge: { clients: 1000, senders: 5, rate: 20, durationMs: 10_000 },
    ramp: {
      clients: 1000,
      senders: 10,
      deliveriesPerSec: [50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000, 1_200_000],
      durationMs: 5000,
    },
    manyRooms: { clients: 5000, roomSize: 10, rate: 1, durationMs: 10_000 },
    presence: { members: 2000 },
    slow: { clients: 1000, slowSockets: 10, senders: 5, rate: 20, durationMs: 10_000, padding: 1000 },
    drainMs: 3000,
  },
};

export interface Scenario {
  name: string;
  /** One line: what it measures. */
  summary: string;
  servers: readonly ServerKind[];
  /** Times the scenario runs against each server, alternating between them (default 1). */
  rounds?: Partial<Record<Mode, number>>;
  run(env: RunEnv, server: ServerKind, round: number): Promise<ScenarioResult[]>;
}

/** `n` clients in rooms of `roomSize` (room i holds clients i*roomSize …), unique names. */
export function clientsInRooms(n: number, roomSize: number, prefix: string): ClientSpec[] {
  return Array.from({ length: n }, (_, i) => ({ room: `${prefix}${Math.floor(i / roomSize)}`, name: `${prefix}${i}` }));
}

/** Connects every client (asking for batched frames when `batch`), then lets the server settle. */
export async function connectAll(env: RunEnv, rig: Rig, gen: LoadGen, clients: ClientSpec[], batch = false): Promise<void> {
  const r = await gen.connect(rig.wsUrls, clients, SETUP_CONCURRENCY, 0, batch);
  if (r.failed > 0) throw new Error(`${r.failed} of ${clients.length} clients could not connect`);
  env.log(`    ${r.ready} clients ready in ${r.elapsedMs.toFixed(0)} ms`);
  await Bun.sleep(SETTLE_MS[env.mode]);
}

export function evictions(rig: Rig): number {
  return rig.nodes.reduce((n, node) => n + node.lines.filter((l) => l.includes('"msg":"evicted"')).length, 0);
}

/** Senders 0, k, 2k, …: spread over workers and, for several rooms, over rooms. */
export function spread(count: number, clients: number): number[] {
  const stride = Math.max(1, Math.floor(clients / count));
  return Array.from({ length: count }, (_, i) => i * stride);
}

export async function step(env: RunEnv, rig: Rig, gen: LoadGen, label: string, plan: StepPlan): Promise<StepRow> {
  const result = await measureStep(rig, gen, env.cpus, plan);
  const pass = result.deliveredRatio >= PASS_DELIVERED && result.p99Ms <= PASS_P99_MS;
  env.log(
    `    ${label}: ${(result.deliveredRatio * 100).toFixed(2)}% of ${result.expected} delivered, ` +
      `${Math.round(result.deliveredPerSec)}/s, p99 ${result.p99Ms.toFixed(1)} ms, ` +
      `${result.cpuPerDeliveryUs.toFixed(2)} µs CPU/delivery, saturated: ${result.saturated}` +
      (result.byNode ? `; by receiving node: ${result.byNode.map((n, i) => `${i}: ${n.delivered}/${n.expected}, p99 ${n.p99Ms.toFixed(1)} ms`).join("; ")}` : "") +
      (result.redisCommandsPerMessage !== undefined ? `; ${result.redisCommandsPerMessage.toFixed(2)} Redis commands/message` : ""),
  );
  return { label, senders: plan.senders.length, ratePerSender: plan.ratePerSender, result, pass };
}

/**
 * The shape of most message scenarios: a fresh rig, `clients` connected, then the steps that
 * `measure` takes, as one result.
 */
export function stepsScenario(
  env: RunEnv, kind: ServerKind, scenario: string, clients: ClientSpec[], measure: (rig: Rig, gen: LoadGen) => Promise<StepRow[]>, opts: RigOptions & { batch?: boolean } = {},
): Promise<ScenarioResult[]> {
  return withRig(env, kind, async (rig, gen) => {
    await connectAll(env, rig, gen, clients, opts.batch);
    const rows = await measure(rig, gen);
    const rooms = new Set(clients.map((c) => c.room)).size;
    const r: StepsResult = { kind: "steps", scenario, server: kind, clients: clients.length, rooms, rows, evictions: evictions(rig) };
    return [r];
  }, opts);
}

/** One room of `clients`, `senders` of them sending at `rate`, as one or more steps. */
async function fanout(env: RunEnv, kind: ServerKind, scenario: string, s: { clients: number; senders: number; rate: number; durationMs: number }, round = 1): Promise<ScenarioResult[]> {
  const sizes = SIZES[env.mode];
  return stepsScenario(env, kind, scenario, clientsInRooms(s.clients, s.clients, "f"), async (rig, gen) => [
    await step(env, rig, gen, `${s.senders} × ${s.rate} msg/s${round > 1 ? ` (round ${round})` : ""}`, {
      senders: spread(s.senders, s.clients), ratePerSender: s.rate, durationMs: s.durationMs,
      drainMs: sizes.drainMs, padding: PADDING, roomSizeOf: () => s.clients,
    }),
  ]);
}

/**
 * A connect storm: every client at once (STORM_CONCURRENCY handshakes in flight per worker) into
 * a fresh rig, then the idle memory each connection holds.
 */
export async function connectStorm(env: RunEnv, kind: ServerKind, rig: Rig, gen: LoadGen, clients: ClientSpec[], scenario: string): Promise<ConnectStormResult> {
  await Bun.sleep(SETTLE_MS[env.mode]); // let start-up work (bundling the page) finish
  const before = await mustStats(rig);
  const g0 = await gen.cpuMs();
  const t0 = performance.now();
  const c = await gen.connect(rig.wsUrls, clients, STORM_CONCURRENCY);
  const wallMs = performance.now() - t0;
  const [after, g1] = [await mustStats(rig), await gen.cpuMs()];
  env.log(`    ${c.ready} connections in ${c.elapsedMs.toFixed(0)} ms (${c.failed} failed); settling`);
  const idle = await idleMemory(rig, MEMORY_SETTLE_MS[env.mode]);
  const serverUtil = (after.cpuMs - before.cpuMs) / wallMs / env.cpus.server;
  const generatorUtil = (g1 - g0) / wallMs / env.cpus.generator;
  const storm: ConnectStormResult = {
    kind: "connect", scenario, server: kind, connections: c.ready, failed: c.failed,
    elapsedMs: c.elapsedMs, perSec: c.ready / (c.elapsedMs / 1000),
    p50Ms: c.connect.percentile(0.5) / 1000, p99Ms: c.connect.percentile(0.99) / 1000,
    rssBeforeBytes: before.rssBytes, rssIdleBytes: idle.rssBytes, hwmBytes: idle.hwmBytes,
    bytesPerConnection: (idle.rssBytes - before.rssBytes) / c.ready, serverCpuMs: after.cpuMs - before.cpuMs,
    serverUtil, generatorUtil, saturated: saturation(serverUtil, generatorUtil),
  };
  env.log(`    ${(storm.bytesPerConnection / 1024).toFixed(2)} KB per idle connection; ${Math.round(storm.perSec)} connections/s, saturated: ${storm.saturated}`);
  return storm;
}

/** `n` clients join one room at once, each tracking its member list (or count) until complete. */
export async function presenceStormIn(env: RunEnv, kind: ServerKind, rig: Rig, gen: LoadGen, n: number, scenario: string): Promise<PresenceStormResult> {
  const before = await mustStats(rig);
  const c = await gen.connect(rig.wsUrls, clientsInRooms(n, n, "p"), STORM_CONCURRENCY, n);
  const deadline = performance.now() + 15_000;
  while ((await gen.stats()).complete < c.ready && performance.now() < deadline) await Bun.sleep(20);
  await Bun.sleep(200); // let trailing presence frames arrive, so the byte count is whole
  const p = (await gen.collect()).presence;
  const after = await mustStats(rig);
  const completeAfter = p.complete === n ? (p.lastCompleteUs - c.lastReadyUs) / 1000 : Number.NaN;
  env.log(`    ${c.ready} joined in ${c.elapsedMs.toFixed(0)} ms; lists complete ${completeAfter.toFixed(0)} ms after the last join`);
  const r: PresenceStormResult = {
    kind: "presence", scenario, server: kind, members: n, failed: c.failed,
    joinElapsedMs: c.elapsedMs, completeAfterLastJoinMs: Math.max(0, completeAfter), complete: p.complete,
    presenceFrames: p.frames, presenceBytes: p.bytes, snapshotBytes: p.snapshotBytes, presenceBytesPerJoin: p.bytes / n,
    largeJoins: p.largeJoins,
    largeBytesPerJoin: p.largeJoins > 0 ? (p.largeSnapshotBytes + p.largePresenceBytes) / p.largeJoins : Number.NaN,
    largePresenceBytesPerJoin: p.largeJoins > 0 ? p.largePresenceBytes / p.largeJoins : Number.NaN,
    serverCpuMs: after.cpuMs - before.cpuMs, hwmBytes: after.hwmBytes,
  };
  return r;
}

// ---- the scenarios --------------------------------------------------------------------------

const fanoutSmall: Scenario = {
  name: "fan-out small",
  summary: "100 clients in one room, 10 senders × 100 msg/s: per-message cost (parse, validate, encode)",
  servers: ["baseline", "hubbub"],
  run: (env, kind) => fanout(env, kind, "fan-out small", SIZES[env.mode].fanoutSmall),
};

const fanoutLarge: Scenario = {
  name: "fan-out large",
  summary: "1,000 clients in one room, 5 senders × 20 msg/s: per-delivery cost and latency (memory and the durable store)",
  servers: ["baseline", "hubbub", "hubbub+sqlite"],
  // Its p99 is a target, and a p99 moves with whatever else the machine does: three rounds,
  // alternating servers, and the target reads the median round of each.
  rounds: { full: 3 },
  run: (env, kind, round) => fanout(env, kind, "fan-out large", SIZES[env.mode].fanoutLarge, round),
};

export interface RampPlan {
  /** Global client indexes that send, all in rooms of `members`. */
  senders: number[];
  members: number;
  /** Offered deliveries/s of each step, rising. */
  deliveriesPerSec: number[];
  durationMs: number;
  /** Put before each step's label ("400k/s"). */
  labelPrefix?: string;
}

/** Open-loop steps of rising offered deliveries/s until one fails; the rows measured. */
export async function ramp(env: RunEnv, rig: Rig, gen: LoadGen, r: RampPlan): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const dps of r.deliveriesPerSec) {
    const ratePerSender = dps / r.members / r.senders.length;
    const row = await step(env, rig, gen, `${r.labelPrefix ?? ""}${dps / 1000}k/s`, {
      senders: r.senders, ratePerSender, durationMs: r.durationMs, drainMs: SIZES[env.mode].drainMs, padding: PADDING, roomSizeOf: () => r.members,
    });
    rows.push(row);
    if (!row.pass) break;
    await Bun.sleep(500);
  }
  return rows;
}

const saturationRamp: Scenario = {
  name: "saturation ramp",
  summary: "1,000 clients in one room, open-loop steps of offered deliveries/s until one fails (< 99% or p99 > 250 ms)",
  servers: ["baseline", "hubbub"],
  run: (env, kind) => {
    const s = SIZES[env.mode].ramp;
    return stepsScenario(env, kind, "saturation ramp", clientsInRooms(s.clients, s.clients, "s"), (rig, gen) =>
      ramp(env, rig, gen, { senders: spread(s.senders, s.clients), members: s.clients, deliveriesPerSec: s.deliveriesPerSec, durationMs: s.durationMs }),
    );
  },
};

const manyRooms: Scenario = {
  name: "many rooms",
  summary: "connect storm of 5,000 connections into 500 rooms of 10 (connections/s, memory per idle connection), then everyone chats at 1 msg/s (5,000 inserts/s with the durable store)",
  servers: ["baseline", "hubbub", "hubbub+sqlite"],
  // A storm lasts about a second: three alternating rounds, and the targets read the medians.
  rounds: { full: 3 },
  run: (env, kind, round) => {
    const sizes = SIZES[env.mode];
    const s = sizes.manyRooms;
    return withRig(env, kind, async (rig, gen) => {
      const clients = clientsInRooms(s.clients, s.roomSize, "m");
      const storm = await connectStorm(env, kind, rig, gen, clients, "connect storm");
      if (storm.failed > 0) return [storm];
      const senders = clients.map((_, i) => i);
      const row = await step(env, rig, gen, `${s.clients} × ${s.rate} msg/s${round > 1 ? ` (round ${round})` : ""}`, {
        senders, ratePerSender: s.rate, durationMs: s.durationMs, drainMs: sizes.drainMs, padding: PADDING, roomSizeOf: () => s.roomSize,
      });
      const chat: StepsResult = {
        kind: "steps", scenario: "many rooms", server: kind, clients: s.clients, rooms: s.clients / s.roomSize, rows: [row], evictions: evictions(rig),
      };
      return [storm, chat];
    });
  },
};

const presenceStorm: Scenario = {
  name: "presence storm",
  summary: "2,000 clients join one room at once: time until every user list is complete, presence bytes per join",
  servers: ["hubbub"],
  run: (env, kind) => {
    const n = SIZES[env.mode].presence.members;
    return withRig(env, kind, async (rig, gen) => {
      return [await presenceStormIn(env, kind, rig, gen, n, "presence storm")];
    });
  },
};

const slowConsumer: Scenario = {
  name: "slow consumer",
  summary: "fan-out large with ~1 KB texts, then again with 10 connections that never read: healthy p99 and server memory",
  servers: ["baseline", "hubbub"],
  run: (env, kind) => {
    const sizes = SIZES[env.mode];
    const s = sizes.slow;
    return stepsScenario(env, kind, "slow consumer", clientsInRooms(s.clients, s.clients, "c"), async (rig, gen) => {
      const plan: StepPlan = {
        senders: spread(s.senders, s.clients), ratePerSender: s.rate, durationMs: s.durationMs,
        drainMs: sizes.drainMs, padding: s.padding, roomSizeOf: () => s.clients,
      };
      const rows = [await step(env, rig, gen, "without slow sockets", plan)];
      // Raw sockets that complete the upgrade and then never read a byte.
      const slow = await Promise.all(Array.from({ length: s.slowSockets }, (_, i) => rawWebSocket(rig.server.port, `?room=c0&name=slow${i}`)));
      for (const r of slow) r.socket.pause();
      try {
        rows.push(await step(env, rig, gen, `with ${s.slowSockets} slow sockets`, plan));
      } finally {
        for (const r of slow) r.socket.destroy();
      }
      return rows;
    });
  },
};

export const SCENARIOS: readonly Scenario[] = [fanoutSmall, fanoutLarge, saturationRamp, manyRooms, presenceStorm, slowConsumer];
