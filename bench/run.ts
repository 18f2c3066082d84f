// `bun run bench`: runs every scenario against the baseline server and then Hubbub, in one
// invocation, and prints markdown tables with Hubbub's numbers as ratios to the baseline's. The
// cluster scenarios (cluster.ts) run Hubbub's memory engine beside its Redis engine instead; the
// large-room ones (large.ts) add Hubbub with batched frames and the Redis engine where they ask.
//
//   bun run bench            quick sizes (under 3 minutes), tables on stdout
//   bun run bench --full     full sizes plus a CPU profile of Hubbub; writes docs/benchmarks.md
//                            (not with --only: a partial run leaves the last whole one's report)
//   bun run bench --smoke    tiny sizes (seconds); exits 1 unless the numbers are sane (CI)
//   --only a,b   scenarios whose name contains a or b     --workers N   load-generator processes
//   --no-pin     do not pin server and generator to cores  --profile    profile in quick mode too
//                (with --only: profile the selected scenarios instead of the usual ones)
//   --rewrite-report   rebuild docs/benchmarks.md from the last --full run's saved results
//                      (after editing bench/findings.md), without measuring again
//
// Progress goes to stderr, the tables to stdout.
import { cpus, loadavg, release, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { pinProcess } from "./proc.ts";
import { summariseProfile, type ProfileSummary } from "./profile.ts";
import { document, summary, type RunInfo } from "./report.ts";
import type { ScenarioResult } from "./results.ts";
import { sanityProblems } from "./sanity.ts";
import { REDIS_BIN } from "../test/redis.ts";
import { CLUSTER_SCENARIOS } from "./cluster.ts";
import { LARGE_SCENARIOS } from "./large.ts";
import { HUBBUB_ENV, PROFILE_INTERVAL_US, SCENARIOS, abortRigs, needsRedis, type Mode, type ProfiledProcess, type RunEnv, type Scenario } from "./scenarios.ts";

/** Longest one scenario may run against one server before the run gives up on it. */
const SCENARIO_TIMEOUT_MS: Record<Mode, number> = { smoke: 60_000, quick: 90_000, full: 240_000 };
/** The whole run's budget; scenarios not started by then are skipped. */
// The large-room scenarios (large.ts) added about 20 s to smoke and, by estimate, 10 minutes to full.
const RUN_BUDGET_MS: Record<Mode, number> = { smoke: 180_000, quick: 170_000, full: 35 * 60_000 };
/**
 * Scenarios profiled in the --full run: the per-message path, the per-delivery path, and the
 * Redis engine's path through two nodes (each node profiled).
 */
const PROFILED = ["fan-out small", "many rooms", "cluster two nodes"];
const TMP = `${import.meta.dir}/../.bench-tmp`;
const REPORT_PATH = `${import.meta.dir}/../docs/benchmarks.md`;
/** Hand-written analysis that the report includes after the generated tables. */
const FINDINGS_PATH = `${import.meta.dir}/findings.md`;
/** The last --full run's results, kept so the report can be rebuilt without measuring again. */
const SAVED_PATH = `${TMP}/last-full-run.json`;

interface SavedRun {
  info: RunInfo;
  results: ScenarioResult[];
  profiles: ProfileSummary[];
}

async function writeReport(run: SavedRun): Promise<void> {
  const findings = await Bun.file(FINDINGS_PATH).text().catch(() => "");
  await Bun.write(REPORT_PATH, document(run.info, run.results, run.profiles, findings));
  log(`wrote ${REPORT_PATH}`);
}

const { values: args } = parseArgs({
  options: {
    smoke: { type: "boolean" },
    full: { type: "boolean" },
    only: { type: "string" },
    workers: { type: "string" },
    "no-pin": { type: "boolean" },
    profile: { type: "boolean" },
    "rewrite-report": { type: "boolean" },
  },
});
const mode: Mode = args.full ? "full" : args.smoke ? "smoke" : "quick";
const log = (line: string) => process.stderr.write(`${line}\n`);

if (args["rewrite-report"]) {
  // NaN does not survive JSON: it comes back as null, which the report prints as "–".
  await writeReport((await Bun.file(SAVED_PATH).json()) as SavedRun);
  process.exit(0);
}

// Server on core 0, load generator (and this orchestrator) on the others, when there are two
// cores or more and taskset exists; otherwise everything shares every core, and the report says so.
const cores = navigator.hardwareConcurrency;
const pinned = !args["no-pin"] && cores >= 2 && Bun.which("taskset") !== null;
const genCpus = cores > 2 ? `1-${cores - 1}` : "1";
if (pinned) pinProcess(process.pid, genCpus);
const env: RunEnv = {
  mode,
  pin: pinned ? { server: "0", generator: genCpus } : null,
  cpus: pinned ? { server: 1, generator: cores - 1 } : { server: cores, generator: cores },
  workers: Number(args.workers ?? (pinned ? cores - 1 : 1)),
  profileDir: null,
  log,
};

const started = performance.now();
const loadBefore = loadavg();
const results: ScenarioResult[] = [];
const failures: string[] = [];
/** Scenarios not run, and why (not failures, except in CI). */
const skipped: string[] = [];
const only = args.only?.split(",").map((s) => s.trim().toLowerCase());
const ALL: readonly Scenario[] = [...SCENARIOS, ...CLUSTER_SCENARIOS, ...LARGE_SCENARIOS];
const selected = ALL.filter((s) => !only || only.some((o) => s.name.includes(o)));
/** False for a scenario that needs redis-server when it is not installed. */
const runnable = (s: Scenario) => !s.servers.some(needsRedis) || REDIS_BIN !== null;

async function runOne(name: string, run: () => Promise<ScenarioResult[]>): Promise<ScenarioResult[]> {
  if (performance.now() - started > RUN_BUDGET_MS[mode]) {
    failures.push(`${name}: skipped, the run's time budget was spent`);
    return [];
  }
  log(`  ${name}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS[mode] / 1000} s`)), SCENARIO_TIMEOUT_MS[mode]);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    log(`    FAILED: ${(err as Error).message}`);
    await abortRigs();
    return [];
  } finally {
    clearTimeout(timer);
  }
}

log(`hubbub bench (${mode}): ${pinned ? `server pinned to core 0, load generator to core ${genCpus}` : "not pinned"}, ${env.workers} generator worker(s)`);
for (const scenario of selected) {
  if (!runnable(scenario)) {
    // As with the Redis tests (test/redis.ts): skipped with a line, except in CI, which must run them.
    const line = `${scenario.name}: skipped, redis-server is not installed (apt-get install redis-server)`;
    log(`  ${line}`);
    (process.env.CI ? failures : skipped).push(line);
    continue;
  }
  const rounds = scenario.rounds?.[mode] ?? 1;
  for (let round = 1; round <= rounds; round++) {
    for (const server of scenario.servers) {
      const name = `${scenario.name} / ${server}${rounds > 1 ? ` (round ${round} of ${rounds})` : ""}`;
      results.push(...(await runOne(name, () => scenario.run(env, server, round))));
    }
  }
}

const profiles: ProfileSummary[] = [];
if (mode === "full" || args.profile) {
  const toProfile = args.profile && only ? selected : PROFILED.map((name) => ALL.find((s) => s.name === name)!);
  for (const scenario of toProfile.filter(runnable)) {
    const name = scenario.name;
    // The last server kind is Hubbub in the shape the scenario is about (the Redis engine, for a cluster one).
    const kind = scenario.servers.at(-1)!;
    const dir = `${TMP}/profile/${name.replaceAll(" ", "-")}`;
    await Bun.$`rm -rf ${dir}`.quiet();
    await runOne(`${name} / ${kind} under --cpu-prof`, () => scenario.run({ ...env, profileDir: dir }, kind, 1));
    // One profile per node: Bun puts the process id in the file name, stopServer the CPU time beside it.
    const nodes = await Promise.all([...new Bun.Glob("process-*.json").scanSync(dir)].map(async (f) => (await Bun.file(`${dir}/${f}`).json()) as ProfiledProcess));
    const files = [...new Bun.Glob("*.cpuprofile").scanSync(dir)];
    if (nodes.length === 0 || files.length === 0) failures.push(`${name}: no profile was written`);
    for (const p of nodes.sort((a, b) => a.node - b.node)) {
      const file = files.find((f) => f.includes(`.${p.pid}.`));
      if (!file) {
        failures.push(`${name}: node ${p.node} wrote no profile`);
        continue;
      }
      const label = nodes.length > 1 ? `${name}, node ${String.fromCharCode(65 + p.node)}` : name;
      profiles.push(await summariseProfile(`${dir}/${file}`, label, PROFILE_INTERVAL_US, p.cpuMs ?? Number.NaN));
    }
  }
}

const info: RunInfo = {
  mode,
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? "unknown CPU"}, ${cores} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}`,
  bun: Bun.version,
  pinning: pinned ? `server on core 0, load generator and orchestrator on core ${genCpus} (taskset)` : "none: server and load generator share every core",
  workers: env.workers,
  load: `load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  elapsedS: (performance.now() - started) / 1000,
  hubbubEnv: HUBBUB_ENV,
  failures,
  skipped,
};

console.log(summary(results));
// A partial full run (--only) measures, but keeps the last whole run's report and saved results:
// one scenario's tables would replace every other's.
if (mode === "full" && only) log(`--only: ${REPORT_PATH} and the saved run left as they are`);
else if (mode === "full") {
  await Bun.write(SAVED_PATH, JSON.stringify({ info, results, profiles } satisfies SavedRun));
  await writeReport({ info, results, profiles });
}
log(`done in ${info.elapsedS.toFixed(0)} s; ${info.load}`);
if (skipped.length) log(`skipped:\n  ${skipped.join("\n  ")}`);
if (failures.length) log(`failures:\n  ${failures.join("\n  ")}`);
if (mode === "smoke") {
  const problems = sanityProblems(results, failures);
  if (problems.length) {
    log(`smoke check FAILED:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  log(`smoke check passed: ${results.length} results, every delivery accounted for`);
}
process.exit(failures.length ? 1 : 0);
