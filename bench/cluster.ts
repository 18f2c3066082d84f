// The cluster scenarios (issue 5): Hubbub on the Redis engine, side by side with the memory
// engine in the same run, against a private redis-server that the rig starts (test/redis.ts).
//
//   cluster one node    the memory engine, then the Redis engine on one node: the saturation
//                       ramp in a room of 1,000 and in a room of 100 (where per-message cost
//                       weighs ten times more per delivery)
//   cluster two nodes   two Redis-engine nodes, clients alternating between them, every sender
//                       on node A: the latency of deliveries that crossed to node B at 20,000
//                       deliveries/s (in a room of 100 and in a room of 1,000), and Redis
//                       commands per message in both rooms at one message rate; the memory
//                       engine on one node under the same load, for reference
//
// The whole server side (every node and redis-server) is pinned to the server's core, the load
// generator keeps its own (see startRig in scenarios.ts).
import type { ClientSpec } from "./ipc.ts";
import type { StepPlan } from "./measure.ts";
import type { StepRow } from "./results.ts";
import { PADDING, SIZES, clientsInRooms, nodeCount, ramp, spread, step, stepsScenario, type Mode, type Scenario } from "./scenarios.ts";

interface ClusterSizes {
  /**
   * The one-node ramp. `senders`: how many of a room's members send, together at the step's
   * rate. 100, so each sends at a chat's pace: with 10 senders a room of 100 at 300k/s was
   * 300 msg/s from each connection (15x RATE_LIMIT's default), and since a connection's
   * requests are answered in order, each waits out its previous chat's round trip through
   * Redis: that ramp measured one connection's round trip (~3 ms under load), not the engine
   * (0.49x the memory engine with 10 senders, 0.98x with 100, in one quick run).
   */
  oneNode: { senders: number; rooms: { members: number; deliveriesPerSec: number[] }[]; durationMs: number };
  /**
   * Steps in rooms of `members` at `messagesPerSec` (all senders together). Two steps share a
   * message rate in rooms of different sizes, so that commands per message compare with the
   * same share of background commands (heartbeats) in each.
   */
  twoNodes: { senders: number; steps: { members: number; messagesPerSec: number }[]; durationMs: number };
}

/** 20,000 deliveries/s (the latency target) in a room of 100 and of 1,000; then 100 at the 1,000's message rate. */
const TWO_NODE_STEPS = [
  { members: 100, messagesPerSec: 200 },
  { members: 1000, messagesPerSec: 20 },
  { members: 100, messagesPerSec: 20 },
];

/** Load before the two-node steps, unreported (see twoNodes). */
const WARM_UP_MS: Record<Mode, number> = { smoke: 200, quick: 1000, full: 2000 };

const SIZES_CLUSTER: Record<Mode, ClusterSizes> = {
  smoke: {
    oneNode: { senders: 5, rooms: [{ members: 50, deliveriesPerSec: [2_000] }, { members: 10, deliveriesPerSec: [1_000] }], durationMs: 500 },
    twoNodes: { senders: 2, steps: [{ members: 10, messagesPerSec: 100 }, { members: 50, messagesPerSec: 20 }, { members: 10, messagesPerSec: 20 }], durationMs: 500 },
  },
  quick: {
    oneNode: {
      senders: 100,
      rooms: [{ members: 1000, deliveriesPerSec: [100_000, 400_000, 600_000, 800_000] }, { members: 100, deliveriesPerSec: [100_000, 200_000, 400_000] }],
      durationMs: 1500,
    },
    twoNodes: { senders: 5, steps: TWO_NODE_STEPS, durationMs: 3000 },
  },
  full: {
    oneNode: {
      senders: 100,
      rooms: [
        { members: 1000, deliveriesPerSec: [100_000, 200_000, 400_000, 600_000, 800_000, 1_000_000] },
        { members: 100, deliveriesPerSec: [50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000] },
      ],
      durationMs: 5000,
    },
    twoNodes: { senders: 5, steps: TWO_NODE_STEPS, durationMs: 10_000 },
  },
};

/** One room per size, `r<members>`, clients in order of the sizes. */
function clientsInRoomsOf(sizes: number[]): ClientSpec[] {
  return sizes.flatMap((members) => clientsInRooms(members, members, `r${members}-`));
}

/** Spreads clients over `nodes` nodes: client i on node i mod nodes, so every room is split evenly. */
export function alternateNodes(clients: ClientSpec[], nodes: number): ClientSpec[] {
  return clients.map((c, i) => ({ ...c, node: i % nodes }));
}

/** Members of each room on each node: room → count by node index. */
export function membersByNode(clients: ClientSpec[], nodes: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const c of clients) {
    let counts = out.get(c.room);
    if (!counts) out.set(c.room, (counts = new Array<number>(nodes).fill(0)));
    counts[c.node ?? 0]!++;
  }
  return out;
}

/** `count` clients of `room` on `node`, spread over them (global client indexes). */
export function sendersIn(clients: ClientSpec[], room: string, node: number, count: number): number[] {
  const candidates = clients.flatMap((c, i) => (c.room === room && (c.node ?? 0) === node ? [i] : []));
  return spread(Math.min(count, candidates.length), candidates.length).map((k) => candidates[k]!);
}

const oneNode: Scenario = {
  name: "cluster one node",
  summary: "memory engine vs Redis engine on one node (with its redis-server): the saturation ramp in a room of 1,000 and in a room of 100",
  servers: ["hubbub", "hubbub+redis"],
  run: (env, kind) => {
    const s = SIZES_CLUSTER[env.mode].oneNode;
    const clients = clientsInRoomsOf(s.rooms.map((r) => r.members));
    return stepsScenario(env, kind, "cluster one node", clients, async (rig, gen) => {
      const rows: StepRow[] = [];
      for (const r of s.rooms) {
        const senders = sendersIn(clients, `r${r.members}-0`, 0, s.senders);
        const label = `${r.members.toLocaleString("en-US")} members, `;
        const steps = await ramp(env, rig, gen, { senders, members: r.members, deliveriesPerSec: r.deliveriesPerSec, durationMs: s.durationMs, labelPrefix: label });
        rows.push(...steps.map((row) => ({ ...row, members: r.members })));
      }
      return rows;
    });
  },
};

const twoNodes: Scenario = {
  name: "cluster two nodes",
  summary: "two Redis-engine nodes, clients alternating between them, senders on node A: cross-node latency, and Redis commands per message at two room sizes (memory engine on one node for reference)",
  servers: ["hubbub", "2×hubbub+redis"],
  // A p99 over ten seconds moves with anything else the machine does (one full run read 11 ms
  // cross-node where the runs around it read 4-6): three alternating rounds, medians read.
  rounds: { full: 3 },
  run: (env, kind, round) => {
    const s = SIZES_CLUSTER[env.mode].twoNodes;
    const clients = alternateNodes(clientsInRoomsOf([...new Set(s.steps.map((t) => t.members))]), nodeCount(kind));
    const byNode = membersByNode(clients, nodeCount(kind));
    return stepsScenario(env, kind, "cluster two nodes", clients, async (rig, gen) => {
      const plan = ({ members, messagesPerSec }: { members: number; messagesPerSec: number }, durationMs: number): StepPlan => {
        const senders = sendersIn(clients, `r${members}-0`, 0, s.senders);
        return {
          senders, ratePerSender: messagesPerSec / senders.length, durationMs, drainMs: SIZES[env.mode].drainMs, padding: PADDING,
          roomSizeOf: () => members, roomNodesOf: (i) => byNode.get(clients[i]!.room)!,
        };
      };
      // The first step after connecting ran its p99 up to 4× the later ones' (JIT of the message
      // path, the connect storm's garbage): warm up on the first step's load, and report nothing of it.
      await step(env, rig, gen, "warm-up (not reported)", plan(s.steps[0]!, WARM_UP_MS[env.mode]));
      const rows: StepRow[] = [];
      for (const t of s.steps) {
        await Bun.sleep(500);
        const row = await step(env, rig, gen, `${t.members.toLocaleString("en-US")} members × ${t.messagesPerSec} msg/s${round > 1 ? ` (round ${round})` : ""}`, plan(t, s.durationMs));
        rows.push({ ...row, members: t.members });
      }
      return rows;
    });
  },
};

export const CLUSTER_SCENARIOS: readonly Scenario[] = [oneNode, twoNodes];
