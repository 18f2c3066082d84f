// Assembles the report: the tables `bun run bench` prints and the whole of docs/benchmarks.md that
// `--full` writes, from the targets (report-targets.ts), the scenario tables (report-tables.ts) and
// the large-room part (report-large.ts). Pure formatting.
import type { ProfileSummary } from "./profile.ts";
import type { ScenarioResult } from "./results.ts";
import { PASS_DELIVERED, PASS_P99_MS } from "./scenarios.ts";
import { dec, pct, table } from "./format.ts";
import { largeSections } from "./report-large.ts";
import { targetsTable } from "./report-targets.ts";
import { CLUSTER_METHOD, clusterTable, connectTable, presenceTable, profileTable, ratioTable, stepsTable, storeTable } from "./report-tables.ts";

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
