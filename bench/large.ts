// The large-room scenarios (issue 14), side by side with the baseline where it has an answer:
//
//   large connect storm   10,000 connections into one room at once: connections/s and server
//                         CPU per connection (the O(N²) presence of a crowd is what broke this)
//   large presence storm  2,500 and then 10,000 joins into one room, every member tracking its
//                         count: convergence after the last join, presence bytes per join by size
//   batched fan-out       1,000 members, 10 senders: 400k deliveries/s, and 1,000 msg/s (1M
//                         deliveries/s offered); the baseline, Hubbub, and Hubbub with batched frames
//   hold 19k              19,000 connections in one room, presence on: memory per connection,
//                         idle CPU, and single messages to the whole room
//   redis joins           Redis commands per join into rooms of 1,000 and 10,000 members
//
// Smoke sizes lower PRESENCE_LIST_MAX, so that CI exercises the large tier with a few dozen
// clients. Connections: one process may hold 20,000 open files here (the hard limit), so hold 19k
// spreads its clients over several generator workers and raises MAX_CONNECTIONS; every client
// dials 127.0.0.1 from 127.0.0.1, whose 28,000 ephemeral ports (ip_local_port_range) cover 19,000
// (past that, servers on several 127.x addresses would be needed; Bun's client cannot pick its source).
import type { LoadGen } from "./loadgen.ts";
import { idleMemory, mustStats } from "./measure.ts";
import type { ConnectStormResult, HoldResult, JoinCostResult, ScenarioResult, ServerKind } from "./results.ts";
import { batchClients, withRig, type Rig } from "./rig.ts";
import {
  MEMORY_SETTLE_MS, PADDING, SETTLE_MS, SIZES, clientsInRooms, connectAll, connectStorm, presenceStormIn, spread, step, stepsScenario, type Mode, type RunEnv, type Scenario,
} from "./scenarios.ts";
import { isJoinedFrame } from "./wire.ts";

interface LargeSizes {
  /** Server settings for every large scenario (smoke: a low threshold, so the tier is reached). */
  env: Record<string, string>;
  storm: number;
  presence: number[];
  batched: { members: number; senders: number; deliveriesPerSec: number[]; durationMs: number };
  hold: { clients: number; idleWindowMs: number; messages: number };
  joins: { members: number[]; joins: number };
}

/** Clients one generator worker holds at most, well under the 20,000 open files of a process. */
const CLIENTS_PER_WORKER = 8000;
/** Raised for every large scenario (default 10,000): hold 19k needs 19,000 and the generator's few. */
const MAX_CONNECTIONS = "20000";

const SIZES_LARGE: Record<Mode, LargeSizes> = {
  smoke: {
    env: { PRESENCE_LIST_MAX: "20", MAX_CONNECTIONS },
    storm: 60,
    presence: [30, 60],
    batched: { members: 50, senders: 5, deliveriesPerSec: [2_000, 5_000], durationMs: 500 },
    hold: { clients: 60, idleWindowMs: 500, messages: 2 },
    joins: { members: [30, 60], joins: 10 },
  },
  quick: {
    env: { MAX_CONNECTIONS },
    storm: 3000,
    presence: [1500, 3000],
    batched: { members: 1000, senders: 10, deliveriesPerSec: [400_000], durationMs: 3000 },
    hold: { clients: 3000, idleWindowMs: 3000, messages: 3 },
    joins: { members: [1000, 3000], joins: 100 },
  },
  full: {
    env: { MAX_CONNECTIONS },
    storm: 10_000,
    presence: [2500, 10_000],
    batched: { members: 1000, senders: 10, deliveriesPerSec: [400_000, 1_000_000], durationMs: 5000 },
    // The idle window is one whole keep-alive cycle (IDLE_TIMEOUT_S 60: each silent connection is
    // pinged every 30 s), so it reads the steady idle cost, pings included. A shorter window right
    // after a 13 s connect storm lands on the storm's synchronized ping burst instead (10 s read 3.7%).
    hold: { clients: 19_000, idleWindowMs: 30_000, messages: 5 },
    joins: { members: [1000, 10_000], joins: 200 },
  },
};

const sizes = (env: RunEnv) => SIZES_LARGE[env.mode];
const serverEnv = (env: RunEnv) => ({ env: sizes(env).env });
const workersFor = (clients: number) => Math.ceil(clients / CLIENTS_PER_WORKER);

const largeConnectStorm: Scenario = {
  name: "large connect storm",
  summary: "10,000 connections into one room at once: connections/s and server CPU per connection",
  servers: ["baseline", "hubbub"],
  rounds: { full: 3 },
  run: (env, kind) => {
    const n = sizes(env).storm;
    return withRig(env, kind, async (rig, gen): Promise<ConnectStormResult[]> => [await connectStorm(env, kind, rig, gen, clientsInRooms(n, n, "L"), "large connect storm")], {
      ...serverEnv(env), workers: workersFor(n),
    });
  },
};

const largePresenceStorm: Scenario = {
  name: "large presence storm",
  summary: "2,500 and 10,000 joins into one room: every count converges after the last join; presence bytes per join by room size",
  servers: ["hubbub"],
  run: async (env, kind) => {
    const out: ScenarioResult[] = [];
    for (const n of sizes(env).presence) {
      out.push(await withRig(env, kind, (rig, gen) => presenceStormIn(env, kind, rig, gen, n, "large presence storm"), { ...serverEnv(env), workers: workersFor(n) }));
    }
    return out;
  },
};

const batchedFanout: Scenario = {
  name: "batched fan-out",
  summary: "1,000 members, 10 senders, at 400k and 1M deliveries/s offered: CPU per delivery and p99, without and with batched frames",
  servers: ["baseline", "hubbub", "hubbub+batch"],
  // Its CPU and p99 ratios are targets that pull against each other through BATCH_MS, and a
  // single round's p99 swung 0.77-1.51× between full runs: three alternating rounds, medians.
  rounds: { full: 3 },
  run: (env, kind, round = 1) => {
    const s = sizes(env).batched;
    return stepsScenario(env, kind, "batched fan-out", clientsInRooms(s.members, s.members, "B"), async (rig, gen) => {
      const rows = [];
      for (const dps of s.deliveriesPerSec) {
        const senders = spread(s.senders, s.members);
        rows.push(await step(env, rig, gen, `${dps / 1000}k/s${round > 1 ? ` (round ${round})` : ""}`, {
          senders, ratePerSender: dps / s.members / senders.length, durationMs: s.durationMs, drainMs: SIZES[env.mode].drainMs, padding: PADDING, roomSizeOf: () => s.members,
        }));
        await Bun.sleep(500);
      }
      return rows;
    }, { ...serverEnv(env), batch: batchClients(kind) });
  },
};

const hold: Scenario = {
  name: "hold 19k",
  summary: "19,000 connections in one room, presence on: memory per connection, idle CPU, one message to all of them at a time",
  servers: ["baseline", "hubbub"],
  run: (env, kind) => {
    const s = sizes(env).hold;
    return withRig(env, kind, async (rig, gen): Promise<HoldResult[]> => {
      await Bun.sleep(SETTLE_MS[env.mode]);
      const before = await mustStats(rig);
      const clients = clientsInRooms(s.clients, s.clients, "H");
      const c = await gen.connect(rig.wsUrls, clients, 64);
      env.log(`    ${c.ready} connections in ${c.elapsedMs.toFixed(0)} ms (${c.failed} failed); settling`);
      const idle = await idleMemory(rig, MEMORY_SETTLE_MS[env.mode]);
      const i0 = await mustStats(rig);
      const t0 = performance.now();
      await Bun.sleep(s.idleWindowMs);
      const i1 = await mustStats(rig);
      const idleCpuShare = (i1.cpuMs - i0.cpuMs) / (performance.now() - t0);
      const fanout = c.failed > 0 ? null : await step(env, rig, gen, `1 message/s × ${s.messages} to ${s.clients.toLocaleString("en-US")}`, {
        senders: [0], ratePerSender: 1, durationMs: s.messages * 1000, drainMs: SIZES[env.mode].drainMs, padding: PADDING, roomSizeOf: () => s.clients,
      });
      const r: HoldResult = {
        kind: "hold", scenario: "hold 19k", server: kind, connections: c.ready, failed: c.failed,
        bytesPerConnection: (idle.rssBytes - before.rssBytes) / Math.max(1, c.ready), rssIdleBytes: idle.rssBytes,
        idleCpuShare, idleWindowMs: s.idleWindowMs, fanout,
      };
      env.log(`    ${(r.bytesPerConnection / 1024).toFixed(2)} KB per connection; idle CPU ${(idleCpuShare * 100).toFixed(2)}% of a core`);
      return [r];
    }, { ...serverEnv(env), workers: workersFor(s.clients) });
  },
};

/** Opens one client from this process and resolves once it has its join's answer. */
function joinOnce(url: string, room: string, name: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
    ws.onmessage = (ev) => isJoinedFrame(String(ev.data)) && resolve(ws);
    ws.onclose = (ev) => reject(new Error(`${name} closed (${ev.code}) before its join was answered`));
  });
}

/**
 * Redis commands for `joins` joins, one after another, into `room` (which has its members
 * already). The joiners stay open (into `opened`): their leaves must not fall into the next
 * room's window.
 */
async function joinCost(rig: Rig, kind: ServerKind, room: string, members: number, joins: number, opened: WebSocket[]): Promise<JoinCostResult> {
  const r0 = (await rig.redisCommands()) ?? Number.NaN;
  for (let i = 0; i < joins; i++) opened.push(await joinOnce(rig.wsUrls[0]!, room, `${room}-j${i}`));
  const used = ((await rig.redisCommands()) ?? Number.NaN) - r0;
  return { kind: "joins", scenario: "redis joins", server: kind, members, joins, redisCommands: used, perJoin: used / joins };
}

const redisJoins: Scenario = {
  name: "redis joins",
  summary: "Redis commands per join into a room of 1,000 and one of 10,000 members (the sorted set: no read of the whole room)",
  servers: ["hubbub+redis"],
  run: (env, kind) => {
    const s = sizes(env).joins;
    const clients = s.members.flatMap((m) => clientsInRooms(m, m, `J${m}-`));
    return withRig(env, kind, async (rig, gen: LoadGen) => {
      await connectAll(env, rig, gen, clients);
      const out: JoinCostResult[] = [];
      const opened: WebSocket[] = [];
      try {
        for (const m of s.members) {
          const r = await joinCost(rig, kind, `J${m}-0`, m, s.joins, opened);
          env.log(`    ${r.perJoin.toFixed(2)} Redis commands per join into ${m.toLocaleString("en-US")} members`);
          out.push(r);
        }
      } finally {
        for (const ws of opened) ws.close(1000);
      }
      return out;
    }, { ...serverEnv(env), workers: workersFor(clients.length) });
  },
};

export const LARGE_SCENARIOS: readonly Scenario[] = [largeConnectStorm, largePresenceStorm, batchedFanout, hold, redisJoins];
