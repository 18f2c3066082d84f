// Turns results into markdown: the tables `bun run bench` prints and the whole of
// docs/benchmarks.md that `--full` writes. Pure formatting apart from targets(), which states
// each of the issue's targets against the numbers measured in this run.
import type { ProfileSummary } from "./profile.ts";
import type { ConnectStormResult, PresenceStormResult, ScenarioResult, ServerKind, StepRow, StepsResult } from "./results.ts";
import { PASS_DELIVERED, PASS_P99_MS } from "./scenarios.ts";
import { dec, int, kb, mb, median, pct, ratio, table } from "./format.ts";

export { median } from "./format.ts";
import { largeSections, largeTargets } from "./report-large.ts";

export interface RunInfo {
  mode: string;
  date: string;
  machine: string;
  bun: string;
  pinning: string;
  workers: number;
  /** Load average before and after the run, and anything else known about other load. */
  load: string;
  elapsedS: number;
  hubbubEnv: Record<string, string>;
  failures: string[];
  /** Scenarios not run, and why (redis-server not installed). Absent in runs saved before it existed. */
  skipped?: string[];
}

// ---- lookups --------------------------------------------------------------------------------

function steps(results: ScenarioResult[], scenario: string, server: ServerKind): StepsResult | undefined {
  return results.find((r): r is StepsResult => r.kind === "steps" && r.scenario === scenario && r.server === server);
}
/** Every row of every run of a steps scenario against one server (several when it ran in rounds). */
function allSteps(results: ScenarioResult[], scenario: string, server: ServerKind): StepRow[] {
  return results.filter((r): r is StepsResult => r.kind === "steps" && r.scenario === scenario && r.server === server).flatMap((r) => r.rows);
}
/**
 * The median over rounds of Hubbub's value ÷ the baseline's in the same round. Each round runs
 * the baseline and then Hubbub minutes apart, so pairing them cancels drift across the run
 * (in one full run the baseline's own fan-out large p99 rose 18.7 → 22.3 → 30.0 ms over three
 * rounds), which a ratio of the two servers' separate medians would not.
 */
export function pairedRatio(hubbub: number[], baseline: number[]): number | undefined {
  const n = Math.min(hubbub.length, baseline.length);
  return median(Array.from({ length: n }, (_, i) => hubbub[i]! / baseline[i]!));
}
function medianP99(results: ScenarioResult[], scenario: string, server: ServerKind): number | undefined {
  return median(allSteps(results, scenario, server).map((r) => r.result.p99Ms));
}
function stepRow(results: ScenarioResult[], scenario: string, server: ServerKind, label: string): StepRow | undefined {
  return steps(results, scenario, server)?.rows.find((r) => r.label === label);
}
/** Every many-rooms connect storm run against one server (several in rounds); large.ts has its own. */
function connects(results: ScenarioResult[], server: ServerKind): ConnectStormResult[] {
  return results.filter((r): r is ConnectStormResult => r.kind === "connect" && r.scenario === "connect storm" && r.server === server);
}
/** The median over a server's connect storms of one measure, or undefined when none ran. */
function connectMedian(results: ScenarioResult[], server: ServerKind, measure: (r: ConnectStormResult) => number): number | undefined {
  return median(connects(results, server).map(measure));
}
function presence(results: ScenarioResult[]): PresenceStormResult | undefined {
  return results.find((r): r is PresenceStormResult => r.kind === "presence" && r.scenario === "presence storm");
}
/** The highest passing ramp step (in rooms of `members`, if given), or undefined when none passed. */
export function maxSustained(results: ScenarioResult[], server: ServerKind, scenario = "saturation ramp", members?: number): StepRow | undefined {
  const rows = steps(results, scenario, server)?.rows ?? [];
  return rows.filter((r) => r.pass && (members === undefined || r.members === members)).at(-1);
}
/** The room sizes a scenario's rows were measured in, largest first. */
function roomSizes(results: ScenarioResult[], scenario: string): number[] {
  const rows = results.flatMap((r) => (r.kind === "steps" && r.scenario === scenario ? r.rows : []));
  return [...new Set(rows.flatMap((r) => (r.members === undefined ? [] : [r.members])))].sort((a, b) => b - a);
}
/** Senders of the two-node scenario are on node A (index 0): node B's deliveries crossed nodes. */
const CROSS_NODE = 1;

// ---- tables ---------------------------------------------------------------------------------

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
    ]);
  return table(
    ["storm: server", "members", "failed", "joins took ms", "lists complete", "complete after last join ms", "presence frames per member", "presence bytes", "bytes per join", "bytes per join per member", "users snapshot bytes"],
    rows,
  );
}

// ---- targets --------------------------------------------------------------------------------

export interface Target {
  target: string;
  hubbub: string;
  baseline: string;
  ratio: string;
  met: boolean | null;
}

export function targets(results: ScenarioResult[]): Target[] {
  const out: Target[] = [];
  const add = (target: string, hubbub: string, baseline: string, r: string, met: boolean | null) => out.push({ target, hubbub, baseline, ratio: r, met });
  for (const label of ["100k/s", "400k/s"]) {
    const h = stepRow(results, "saturation ramp", "hubbub", label)?.result;
    const b = stepRow(results, "saturation ramp", "baseline", label)?.result;
    const met = h && b ? h.cpuPerDeliveryUs <= 1.25 * b.cpuPerDeliveryUs : null;
    add(`server CPU per delivery at ${label}, 1,000 clients: ≤ 1.25× baseline`, h ? `${dec(h.cpuPerDeliveryUs, 2)} µs` : "not run", b ? `${dec(b.cpuPerDeliveryUs, 2)} µs` : "not run", h && b ? ratio(h.cpuPerDeliveryUs, b.cpuPerDeliveryUs) : "–", met);
  }
  {
    const h = stepRow(results, "saturation ramp", "hubbub", "400k/s");
    const b = stepRow(results, "saturation ramp", "baseline", "400k/s");
    const show = (s: StepRow | undefined) => (s ? `${pct(s.result.deliveredRatio)}, p99 ${dec(s.result.p99Ms)} ms` : "not reached");
    add(`sustains 400k deliveries/s to 1,000 clients (≥ ${PASS_DELIVERED * 100}%, p99 ≤ ${PASS_P99_MS} ms)`, show(h), show(b), "", h ? h.pass : null);
  }
  {
    const mh = maxSustained(results, "hubbub");
    const mb_ = maxSustained(results, "baseline");
    const show = (s: StepRow | undefined) => (s ? `${int(s.result.deliveredPerSec)}/s (saturated: ${s.result.saturated})` : "none passed");
    add("max sustained deliveries/s (report which side saturated)", show(mh), show(mb_), mh && mb_ ? ratio(mh.result.deliveredPerSec, mb_.result.deliveredPerSec) : "–", null);
  }
  {
    const h = medianP99(results, "fan-out large", "hubbub");
    const b = medianP99(results, "fan-out large", "baseline");
    const p99s = (server: ServerKind) => allSteps(results, "fan-out large", server).map((r) => r.result.p99Ms);
    const paired = pairedRatio(p99s("hubbub"), p99s("baseline"));
    const rounds = p99s("hubbub").length;
    add(
      `p99 latency in fan-out large: ≤ 1.25× baseline${rounds > 1 ? ` (medians of ${rounds} rounds; ratio: median of the rounds' ratios)` : ""}`,
      h ? `${dec(h)} ms` : "not run", b ? `${dec(b)} ms` : "not run", paired !== undefined ? `${dec(paired, 2)}×` : "–", paired !== undefined ? paired <= 1.25 : null,
    );
  }
  {
    // Each storm lasts about a second, so one GC or scheduler hiccup moves it: the full run
    // repeats it in rounds, alternating servers, and the targets read medians (ratios: the
    // median of the rounds' ratios).
    const rounds = connects(results, "hubbub").length;
    const ofRounds = rounds > 1 ? ` (medians of ${rounds} rounds; ratio: median of the rounds' ratios)` : "";
    const paired = (measure: (r: ConnectStormResult) => number) => pairedRatio(connects(results, "hubbub").map(measure), connects(results, "baseline").map(measure));
    const pm = paired((r) => r.bytesPerConnection);
    const pr = paired((r) => r.perSec);
    const h = connectMedian(results, "hubbub", (r) => r.bytesPerConnection);
    const b = connectMedian(results, "baseline", (r) => r.bytesPerConnection);
    add(
      `memory per idle connection at ${rounds ? int(connects(results, "hubbub")[0]!.connections) : "?"} connections: ≤ 4 KB and ≤ 1.7× baseline${ofRounds}`,
      h !== undefined ? kb(h) : "not run", b !== undefined ? kb(b) : "not run",
      pm !== undefined ? `${dec(pm, 2)}×` : "–",
      h !== undefined && pm !== undefined ? h <= 4096 && pm <= 1.7 : null,
    );
    const hr = connectMedian(results, "hubbub", (r) => r.perSec);
    const br = connectMedian(results, "baseline", (r) => r.perSec);
    add(
      `connect storm: ≥ 0.8× baseline connections/s${ofRounds}`, hr !== undefined ? `${int(hr)}/s` : "not run", br !== undefined ? `${int(br)}/s` : "not run",
      pr !== undefined ? `${dec(pr, 2)}×` : "–", pr !== undefined ? pr >= 0.8 : null,
    );
  }
  {
    const p = presence(results);
    add(
      `presence storm of ${p ? int(p.members) : "?"}: every list complete ≤ 2 s after the last join`,
      p ? `${int(p.completeAfterLastJoinMs)} ms (${int(p.complete)}/${int(p.members)} complete)` : "not run", "n/a", "", p ? p.complete === p.members && p.completeAfterLastJoinMs <= 2000 : null,
    );
    // A full list to every member on every join would cost about members/2 entries per member.
    add(
      "presence bytes per join O(members), never a full list per join",
      p ? `${int(p.presenceBytesPerJoin)} B per join = ${dec(p.presenceBytesPerJoin / p.members, 1)} B per member` : "not run", "n/a", "",
      p ? p.presenceBytesPerJoin / p.members <= 100 : null,
    );
  }
  clusterTargets(results, add);
  largeTargets(results, add);
  for (const server of ["hubbub", "baseline"] as const) {
    const rows = steps(results, "slow consumer", server)?.rows;
    if (!rows || rows.length < 2) continue;
    const [a, b] = [rows[0]!.result, rows[1]!.result];
    if (server === "hubbub") {
      add("slow consumer: healthy p99 ≤ 1.5× the run without slow sockets", `${dec(b.p99Ms)} ms vs ${dec(a.p99Ms)} ms`, "", ratio(b.p99Ms, a.p99Ms), b.p99Ms <= 1.5 * a.p99Ms);
    }
    const evicted = steps(results, "slow consumer", server)!.evictions;
    add(`slow consumer (${server}): RSS bounded`, `RSS ${mb(a.rssBytes)} → ${mb(b.rssBytes)}, VmHWM ${mb(b.hwmBytes)}; ${evicted} evicted`, "", "", null);
  }
  return out;
}

/** The issue 5 targets. The "baseline" column holds the memory engine's number, named as such. */
function clusterTargets(results: ScenarioResult[], add: (target: string, hubbub: string, baseline: string, ratio: string, met: boolean | null) => void): void {
  const one = "cluster one node";
  if (roomSizes(results, one).length === 0) add("Redis engine, one node: max sustained deliveries/s ≥ 0.7× the memory engine's", "not run", "", "", null);
  for (const members of roomSizes(results, one)) {
    const r = maxSustained(results, "hubbub+redis", one, members);
    const m = maxSustained(results, "hubbub", one, members);
    const show = (s: StepRow | undefined) => (s ? `${int(s.result.deliveredPerSec)}/s (saturated: ${s.result.saturated})` : "none passed");
    add(
      `Redis engine, one node: max sustained deliveries/s in a room of ${int(members)} ≥ 0.7× the memory engine's`,
      `Redis: ${show(r)}`, `memory: ${show(m)}`, r && m ? ratio(r.result.deliveredPerSec, m.result.deliveredPerSec) : "–",
      r && m ? r.result.deliveredPerSec >= 0.7 * m.result.deliveredPerSec : false,
    );
    // When the load generator is what stops both, CPU per delivery at one rate shows the engine's cost.
    const both = steps(results, one, "hubbub+redis")?.rows.filter((x) => x.pass && x.members === members && stepRow(results, one, "hubbub", x.label)?.pass).at(-1);
    const mem = both && stepRow(results, one, "hubbub", both.label);
    if (both && mem) {
      add(
        `Redis engine, one node: server CPU per delivery (nodes + Redis) ÷ memory engine's, ${both.label}`,
        `Redis: ${dec(both.result.cpuPerDeliveryUs, 2)} µs`, `memory: ${dec(mem.result.cpuPerDeliveryUs, 2)} µs`, ratio(both.result.cpuPerDeliveryUs, mem.result.cpuPerDeliveryUs), null,
      );
    }
  }
  const two = "cluster two nodes";
  const rows = allSteps(results, two, "2×hubbub+redis");
  if (rows.length === 0) {
    add("two Redis nodes: cross-node p99 < 10 ms at 20,000 deliveries/s", "not run", "", "", null);
    add("Redis commands per message do not grow with the room (one PUBLISH per message, never one per member)", "not run", "", "", null);
    return;
  }
  // Each step may have run in several rounds (labels "… (round N)"): the target reads the
  // medians of the rounds, and the ratio is the median of the rounds' ratios (pairedRatio).
  const top = Math.max(...rows.map((r) => r.result.offeredPerSec));
  const base = (label: string) => label.replace(/ \(round \d+\)$/, "");
  for (const label of new Set(rows.filter((x) => x.result.offeredPerSec === top).map((x) => base(x.label)))) {
    const rounds = (server: ServerKind) => allSteps(results, two, server).filter((x) => base(x.label) === label).map((x) => x.result);
    const cross = rounds("2×hubbub+redis").flatMap((x) => (x.byNode?.[CROSS_NODE] ? [x.byNode[CROSS_NODE]] : []));
    const mem = rounds("hubbub");
    const [c50, c99] = [median(cross.map((x) => x.p50Ms)), median(cross.map((x) => x.p99Ms))];
    const [m50, m99] = [median(mem.map((x) => x.p50Ms)), median(mem.map((x) => x.p99Ms))];
    const paired = pairedRatio(cross.map((x) => x.p99Ms), mem.map((x) => x.p99Ms));
    const ofRounds = cross.length > 1 ? `, medians of ${cross.length} rounds` : "";
    add(
      `two Redis nodes: cross-node p99 < 10 ms at ${int(top)} deliveries/s, ${label} (senders on node A, receivers on node B${ofRounds})`,
      c99 !== undefined ? `cross-node p50 ${dec(c50!)} ms, p99 ${dec(c99)} ms` : "–",
      m99 !== undefined ? `memory, one node: p50 ${dec(m50!)} ms, p99 ${dec(m99)} ms` : "not run",
      paired !== undefined ? `${dec(paired, 2)}×` : "–", c99 !== undefined ? c99 < 10 : null,
    );
  }
  // Rooms of different sizes at one message rate: the same background per message in each.
  const rate = (r: StepRow) => r.senders * r.ratePerSender;
  const compared = rows.filter((r) => rows.some((o) => rate(o) === rate(r) && o.members !== r.members)).sort((a, b) => (b.members ?? 0) - (a.members ?? 0));
  const [big, small] = [compared[0], compared.at(-1)];
  const perMessage = (r: StepRow) => r.result.redisCommandsPerMessage ?? Number.NaN;
  const at = (r: StepRow) => `${dec(perMessage(r), 2)} at ${int(r.members ?? Number.NaN)} members`;
  // The one-node ramp's top passing steps, where heartbeats are a negligible share.
  const oneNode = roomSizes(results, one).flatMap((m) => {
    const r = maxSustained(results, "hubbub+redis", one, m);
    return r ? [`${at(r)} (${r.label.split(", ").at(-1)})`] : [];
  });
  add(
    "Redis commands per message do not grow with the room: larger room ≤ 1.25× smaller room, at one message rate (one PUBLISH per message, never one per member)",
    big && small ? `two nodes, ${dec(rate(big), 0)} msg/s: ${at(big)}, ${at(small)}${oneNode.length ? `; one node: ${oneNode.join(", ")}` : ""}` : "not run",
    "n/a", big && small ? ratio(perMessage(big), perMessage(small)) : "–", big && small ? perMessage(big) <= 1.25 * perMessage(small) : null,
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

export function targetsTable(results: ScenarioResult[]): string {
  return table(
    ["target", "Hubbub", "baseline", "ratio", "met"],
    targets(results).map((t) => [t.target, t.hubbub, t.baseline, t.ratio, t.met === null ? "–" : t.met ? "yes" : "**no**"]),
    3,
  );
}

export function profileTable(p: ProfileSummary): string {
  return table(
    ["function", "where", "self ms", "share of JS"],
    p.top.map((f) => [`\`${f.name}\``, f.where, dec(f.selfMs, 0), pct(f.share)]),
    2,
  );
}

// ---- whole documents ------------------------------------------------------------------------

/** The tables `bun run bench` prints. */
export function summary(results: ScenarioResult[]): string {
  const parts = [
    "## Targets", targetsTable(results),
    "## Message scenarios", stepsTable(results),
    "## Hubbub ÷ baseline", ratioTable(results),
  ];
  const store = storeTable(results);
  if (store) parts.push("## Durable store (STORE=sqlite) ÷ memory", store);
  if (results.some((r) => r.kind === "steps" && r.scenario.startsWith("cluster"))) parts.push("## Cluster scenarios", CLUSTER_METHOD, clusterTable(results));
  if (results.some((r) => r.kind === "connect")) parts.push("## Connect storm", connectTable(results));
  if (results.some((r) => r.kind === "presence")) parts.push("## Presence storm", presenceTable(results));
  parts.push(...largeSections(results));
  return parts.join("\n\n");
}

function profileSection(p: ProfileSummary): string {
  const jsShare = p.processCpuMs > 0 ? p.sampledMs / p.processCpuMs : Number.NaN;
  return [
    `### ${p.label}`,
    `JS (and native calls made from JS) was sampled on the CPU for ${dec(p.sampledMs, 0)} ms of the server process's ` +
      `${dec(p.processCpuMs, 0)} ms of CPU time (${pct(jsShare)}); the rest is Bun's event loop and the kernel ` +
      "(socket reads and writes), which the baseline pays too. Within the sampled part:",
    table(["source", "self ms", "share of JS"], p.bySource.slice(0, 8).map((s) => [s.source, dec(s.selfMs, 0), pct(s.share)])),
    profileTable(p),
  ].join("\n\n");
}

/** docs/benchmarks.md, whole. `findings` is hand-written analysis kept in bench/findings.md. */
export function document(info: RunInfo, results: ScenarioResult[], profiles: ProfileSummary[], findings: string): string {
  const env = Object.entries(info.hubbubEnv).map(([k, v]) => `\`${k}=${v}\``).join(", ");
  return [
    "# Hubbub benchmarks",
    `Written by \`bun run bench --full\` (bench/run.ts) on ${info.date}; do not edit by hand. ` +
      "Every scenario runs against a minimal Bun.serve topic-publish server (bench/baseline-server.ts: no protocol, no hub) " +
      "and then against Hubbub, minutes apart in the same invocation, with the same load generator; Hubbub's numbers are read as ratios to that floor.",
    "## Machine and method",
    [
      `- Machine: ${info.machine}`,
      `- Bun ${info.bun}; run took ${dec(info.elapsedS / 60, 1)} minutes`,
      `- Pinning: ${info.pinning}`,
      `- Load generator: ${info.workers} worker process(es) of Bun's WebSocket client (bench/worker.ts); every text carries its send time, and every delivery's latency is recorded`,
      `- Other load: ${info.load}`,
      `- Hubbub settings: ${env} (RATE_LIMIT is raised from its default of 20 msg/s per connection so that benchmark senders are not rate-limited); everything else default`,
      "- Server CPU is utime+stime from /proc/<pid>/stat (10 ms resolution) from the first send to the end of the drain; memory is VmRSS/VmHWM from /proc/<pid>/status",
      `- A step passes with ≥ ${PASS_DELIVERED * 100}% of the expected deliveries and p99 ≤ ${PASS_P99_MS} ms. "saturated" names the side whose CPU was ≥ 90% busy while sending`,
      ...(info.skipped?.length ? [`- Skipped in this run: ${info.skipped.join("; ")}`] : []),
      ...(info.failures.length ? [`- Problems in this run: ${info.failures.join("; ")}`] : []),
    ].join("\n"),
    summary(results),
    ...(profiles.length ? ["## Profile: where Hubbub's CPU goes", ...profiles.map(profileSection)] : []),
    ...(findings ? [findings.trim()] : []),
  ].join("\n\n") + "\n";
}
