// The report's lookups: a scenario's rows, its medians over rounds, and ratios paired by round,
// read out of a run's results for the tables (report-tables.ts) and targets (report-targets.ts).
import type { ConnectStormResult, PresenceStormResult, ScenarioResult, ServerKind, StepRow, StepsResult } from "./results.ts";
import { median } from "./format.ts";

export function steps(results: ScenarioResult[], scenario: string, server: ServerKind): StepsResult | undefined {
  return results.find((r): r is StepsResult => r.kind === "steps" && r.scenario === scenario && r.server === server);
}
/** Every row of every run of a steps scenario against one server (several when it ran in rounds). */
export function allSteps(results: ScenarioResult[], scenario: string, server: ServerKind): StepRow[] {
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
export function medianP99(results: ScenarioResult[], scenario: string, server: ServerKind): number | undefined {
  return median(allSteps(results, scenario, server).map((r) => r.result.p99Ms));
}
export function stepRow(results: ScenarioResult[], scenario: string, server: ServerKind, label: string): StepRow | undefined {
  return steps(results, scenario, server)?.rows.find((r) => r.label === label);
}
/** Every many-rooms connect storm run against one server (several in rounds); large.ts has its own. */
export function connects(results: ScenarioResult[], server: ServerKind): ConnectStormResult[] {
  return results.filter((r): r is ConnectStormResult => r.kind === "connect" && r.scenario === "connect storm" && r.server === server);
}
/** The median over a server's connect storms of one measure, or undefined when none ran. */
export function connectMedian(results: ScenarioResult[], server: ServerKind, measure: (r: ConnectStormResult) => number): number | undefined {
  return median(connects(results, server).map(measure));
}
export function presence(results: ScenarioResult[]): PresenceStormResult | undefined {
  return results.find((r): r is PresenceStormResult => r.kind === "presence" && r.scenario === "presence storm");
}
/** The highest passing ramp step (in rooms of `members`, if given), or undefined when none passed. */
export function maxSustained(results: ScenarioResult[], server: ServerKind, scenario = "saturation ramp", members?: number): StepRow | undefined {
  const rows = steps(results, scenario, server)?.rows ?? [];
  return rows.filter((r) => r.pass && (members === undefined || r.members === members)).at(-1);
}
/** The room sizes a scenario's rows were measured in, largest first. */
export function roomSizes(results: ScenarioResult[], scenario: string): number[] {
  const rows = results.flatMap((r) => (r.kind === "steps" && r.scenario === scenario ? r.rows : []));
  return [...new Set(rows.flatMap((r) => (r.members === undefined ? [] : [r.members])))].sort((a, b) => b - a);
}
/** Senders of the two-node scenario are on node A (index 0): node B's deliveries crossed nodes. */
export const CROSS_NODE = 1;
