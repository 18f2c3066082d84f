// The report's tables of measurements, one per kind of scenario, as `bun run bench` prints them and
// docs/benchmarks.md holds them. Formatting only; the targets are in report-targets.ts.
import type { ProfileSummary } from "./profile.ts";
import type { ConnectStormResult, PresenceStormResult, ScenarioResult, ServerKind } from "./results.ts";
import { dec, int, kb, mb, median, pct, ratio, table } from "./format.ts";
import { allSteps, connectMedian, connects, CROSS_NODE, pairedRatio } from "./report-lookups.ts";

export function stepsTable(results: ScenarioResult[]): string {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    if (r.kind !== "steps") continue;
    for (const s of r.rows) {
      const x = s.result;
      rows.push([
        r.scenario, s.label, r.server, int(r.clients), int(x.offeredPerSec), pct(x.deliveredRatio), int(x.deliveredPerSec),
        dec(x.p50Ms), dec(x.p90Ms), dec(x.p99Ms), dec(x.maxMs), dec(x.cpuPerDeliveryUs, 2),
        pct(x.serverUtil), pct(x.generatorUtil), x.saturated, mb(x.rssBytes), s.pass ? "yes" : "**no**",
      ]);
    }
  }
  return table(
    ["scenario", "step", "server", "clients", "offered/s", "delivered", "deliveries/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "CPU µs/delivery", "server CPU", "gen CPU", "saturated", "RSS", "pass"],
    rows,
    3,
  );
}

export function ratioTable(results: ScenarioResult[]): string {
  const rows: (string | number)[][] = [];
  for (const h of results) {
    if (h.kind !== "steps" || h.server !== "hubbub") continue;
    for (const s of h.rows) {
      const b = allSteps(results, h.scenario, "baseline").find((r) => r.label === s.label)?.result;
      if (!b) continue;
      const x = s.result;
      rows.push([h.scenario, s.label, ratio(x.cpuPerDeliveryUs, b.cpuPerDeliveryUs), ratio(x.p50Ms, b.p50Ms), ratio(x.p99Ms, b.p99Ms), ratio(x.deliveredPerSec, b.deliveredPerSec), ratio(x.bytesPerFrame, b.bytesPerFrame)]);
    }
  }
  const storm = (measure: (r: ConnectStormResult) => number) => {
    const [h, b] = [connectMedian(results, "hubbub", measure), connectMedian(results, "baseline", measure)];
    return h !== undefined && b !== undefined ? ratio(h, b) : "–";
  };
  const stormRounds = connects(results, "hubbub").length;
  if (stormRounds && connects(results, "baseline").length) {
    rows.push([
      "connect storm", `${int(connects(results, "hubbub")[0]!.connections)} connections${stormRounds > 1 ? `, median of ${stormRounds} rounds` : ""}`,
      storm((r) => r.serverCpuMs / r.connections), "", storm((r) => r.p99Ms), storm((r) => r.perSec), "",
    ]);
  }
  return table(["scenario", "step", "CPU per delivery", "p50", "p99", "deliveries/s", "bytes per frame"], rows, 2);
}

/** The cluster scenarios' steps, with what only they have: cross-node latency and Redis commands. */
export function clusterTable(results: ScenarioResult[]): string {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    if (r.kind !== "steps" || !r.scenario.startsWith("cluster")) continue;
    for (const s of r.rows) {
      const x = s.result;
      const cross = x.byNode?.[CROSS_NODE];
      rows.push([
        r.scenario, s.label, r.server, s.members === undefined ? "–" : int(s.members), pct(x.deliveredRatio), int(x.deliveredPerSec), dec(x.p50Ms), dec(x.p99Ms),
        cross ? dec(cross.p50Ms) : "–", cross ? dec(cross.p99Ms) : "–", dec(x.cpuPerDeliveryUs, 2), pct(x.serverUtil), x.saturated,
        x.redisCommandsPerMessage === undefined ? "–" : dec(x.redisCommandsPerMessage, 2), s.pass ? "yes" : "**no**",
      ]);
    }
  }
  return table(
    ["scenario", "step", "server", "members", "delivered", "deliveries/s", "p50 ms", "p99 ms", "cross-node p50 ms", "cross-node p99 ms", "CPU µs/delivery", "server CPU", "saturated", "Redis commands/message", "pass"],
    rows,
    3,
  );
}

/** How the cluster scenarios are set up, printed above their table. */
export const CLUSTER_METHOD = [
  "Each rig starts a private redis-server (test/redis.ts: a free port, no persistence) and its nodes with `ENGINE=redis` and `REDIS_URL` pointing at it.",
  "Pinning: every node and the redis-server share the server's core (core 0); the load generator keeps core 1, as in every other scenario. So \"server CPU\" and CPU per delivery are the nodes' and Redis's together, the memory engine and the Redis engine get the same CPU, and the generator, which saturates first, is disturbed by nothing. Two nodes on one core show cross-node latency and Redis work, not scale-out throughput, which needs more cores than this machine has. (Letting every process use both cores instead did not lower the cross-node p99 in development runs: 19-25 ms against 15-18 ms pinned, in the 1,000-member room.)",
  "In two nodes, clients alternate between the nodes and every sender is on node A: the cross-node columns are the deliveries to clients on node B.",
  "Redis commands per message: the nodes' `hubbub_redis_commands_total` (a script counts as one, so these are round-trips), summed over the nodes, from the first send to the end of the drain, divided by the messages sent. It includes each node's heartbeat (2 commands every 3 s), so it is compared across room sizes at one message rate, where that share is the same.",
].map((l) => `- ${l}`).join("\n");

export function connectTable(results: ScenarioResult[]): string {
  const rows = results
    .filter((r): r is ConnectStormResult => r.kind === "connect")
    .map((r) => [
      `${r.scenario}: ${r.server}`, int(r.connections), int(r.failed), int(r.elapsedMs), int(r.perSec), dec(r.p50Ms), dec(r.p99Ms), mb(r.rssBeforeBytes), mb(r.rssIdleBytes), mb(r.hwmBytes),
      kb(r.bytesPerConnection), dec((r.serverCpuMs * 1000) / r.connections, 0), pct(r.serverUtil), pct(r.generatorUtil), r.saturated,
    ]);
  return table(
    ["storm: server", "connections", "failed", "elapsed ms", "connections/s", "p50 ms", "p99 ms", "RSS before", "RSS idle", "VmHWM", "per idle connection", "CPU µs/connection", "server CPU", "gen CPU", "saturated"],
    rows,
  );
}

export function presenceTable(results: ScenarioResult[]): string {
  const rows = results
    .filter((r): r is PresenceStormResult => r.kind === "presence")
    .map((r) => [
      `${r.scenario}: ${r.server}`, int(r.members), int(r.failed), int(r.joinElapsedMs), `${int(r.complete)}/${int(r.members)}`, int(r.completeAfterLastJoinMs),
      dec(r.presenceFrames / r.members, 1), mb(r.presenceBytes), int(r.presenceBytesPerJoin), dec(r.presenceBytesPerJoin / r.members, 1), mb(r.snapshotBytes),
      r.largeJoins > 0 ? int(r.largeJoins) : "–", r.largeJoins > 0 ? `${int(r.largeBytesPerJoin)} (${int(r.largePresenceBytesPerJoin)})` : "–",
    ]);
  return table(
    ["storm: server", "members", "failed", "joins took ms", "lists complete", "complete after last join ms", "presence frames per member", "presence bytes", "bytes per join", "bytes per join per member", "users snapshot bytes", "large joins", "bytes per large join (of it presence)"],
    rows,
  );
}
/** The durable store's targets: its CPU per delivery ÷ the memory store's, in the same run. */
const STORE_TARGETS = [
  { scenario: "fan-out large", limit: 1.1, what: "CPU per delivery, 100k deliveries/s in a room of 1,000" },
  { scenario: "many rooms", limit: 1.3, what: "CPU per delivery, 5,000 rooms of 10 × 1 msg/s (5,000 inserts/s)" },
] as const;

/** STORE=sqlite beside STORE=memory (rounds paired as for the baseline); empty when neither ran. */
export function storeTable(results: ScenarioResult[]): string {
  const rows = STORE_TARGETS.flatMap(({ scenario, limit, what }) => {
    const cpu = (server: ServerKind) => allSteps(results, scenario, server).map((r) => r.result.cpuPerDeliveryUs);
    const [sqlite, memory] = [cpu("hubbub+sqlite"), cpu("hubbub")];
    const ratio = pairedRatio(sqlite, memory);
    if (ratio === undefined) return [];
    return [[what, dec(median(sqlite)!, 2), dec(median(memory)!, 2), `${dec(ratio, 2)}×`, `≤ ${limit}×`, ratio <= limit ? "yes" : "**no**"]];
  });
  return rows.length ? table(["measure", "sqlite µs", "memory µs", "ratio", "target", "met"], rows, 1) : "";
}

export function profileTable(p: ProfileSummary): string {
  return table(
    ["function", "where", "self ms", "share of JS"],
    p.top.map((f) => [`\`${f.name}\``, f.where, dec(f.selfMs, 0), pct(f.share)]),
    2,
  );
}
