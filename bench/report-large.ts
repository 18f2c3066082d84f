// The large-room part of the report (large.ts's scenarios, issue 14): its tables, and its targets
// stated against this run's numbers. Formatting only, as the rest of the report
// (report.ts assembles it).
import { dec, int, kb, mb, median, pct, table } from "./format.ts";
import type { ConnectStormResult, HoldResult, JoinCostResult, PresenceStormResult, ScenarioResult, ServerKind, StepRow } from "./results.ts";
import { pairedRatio } from "./report-lookups.ts";
import { PASS_DELIVERED, PASS_P99_MS } from "./scenarios.ts";

type Add = (target: string, hubbub: string, baseline: string, ratio: string, met: boolean | null) => void;

const holds = (results: ScenarioResult[]) => results.filter((r): r is HoldResult => r.kind === "hold");
const joinCosts = (results: ScenarioResult[]) => results.filter((r): r is JoinCostResult => r.kind === "joins");
const storms = (results: ScenarioResult[], server: ServerKind) =>
  results.filter((r): r is ConnectStormResult => r.kind === "connect" && r.scenario === "large connect storm" && r.server === server);
const presences = (results: ScenarioResult[]) =>
  results.filter((r): r is PresenceStormResult => r.kind === "presence" && r.scenario === "large presence storm").sort((a, b) => a.members - b.members);
/** A batched fan-out step's rows against one server, one per round (labels `400k/s`, `400k/s (round 2)`, …). */
const batchedRows = (results: ScenarioResult[], server: ServerKind, rate: string): StepRow[] =>
  results.flatMap((r) => (r.kind === "steps" && r.scenario === "batched fan-out" && r.server === server ? r.rows : [])).filter((r) => r.label === rate || r.label.startsWith(`${rate} (round `));

export function holdTable(results: ScenarioResult[]): string {
  return table(
    ["server", "connections", "failed", "RSS idle", "per connection", "idle CPU (one core)", "delivered", "p50 ms", "p99 ms", "max ms"],
    holds(results).map((r) => {
      const f = r.fanout?.result;
      return [r.server, int(r.connections), int(r.failed), mb(r.rssIdleBytes), kb(r.bytesPerConnection), pct(r.idleCpuShare), f ? pct(f.deliveredRatio) : "–", dec(f?.p50Ms ?? Number.NaN), dec(f?.p99Ms ?? Number.NaN), dec(f?.maxMs ?? Number.NaN)];
    }),
  );
}

export function joinsTable(results: ScenarioResult[]): string {
  return table(["server", "room members", "joins", "Redis commands", "per join"], joinCosts(results).map((r) => [r.server, int(r.members), int(r.joins), int(r.redisCommands), dec(r.perJoin, 2)]));
}

/** The sections large.ts's results add to the report (the storms are in report-tables.ts's tables). */
export function largeSections(results: ScenarioResult[]): string[] {
  const parts: string[] = [];
  if (holds(results).length) parts.push("## Holding a crowd in one room", holdTable(results));
  if (joinCosts(results).length) parts.push("## Redis commands per join", joinsTable(results));
  return parts;
}

/** Issue 14's targets; each says "not run" when its scenario did not run. */
export function largeTargets(results: ScenarioResult[], add: Add): void {
  {
    const [h, b] = [storms(results, "hubbub"), storms(results, "baseline")];
    const n = h[0] ? int(h[0].connections) : "?";
    const rate = (xs: ConnectStormResult[]) => median(xs.map((r) => r.perSec));
    const cpu = (xs: ConnectStormResult[]) => median(xs.map((r) => (r.serverCpuMs * 1000) / r.connections));
    const [hr, br, hc, bc] = [rate(h), rate(b), cpu(h), cpu(b)];
    const known = (x: number | undefined, y: number | undefined) => x !== undefined && y !== undefined;
    add(`connect storm of ${n} into one room: ≥ 0.5× baseline connections/s (medians)`, hr !== undefined ? `${int(hr)}/s` : "not run", br !== undefined ? `${int(br)}/s` : "not run",
      known(hr, br) ? `${dec(hr! / br!, 2)}×` : "–", known(hr, br) ? hr! >= 0.5 * br! : null);
    add(`connect storm of ${n} into one room: server CPU per connection ≤ 3× baseline (medians)`, hc !== undefined ? `${dec(hc, 0)} µs` : "not run", bc !== undefined ? `${dec(bc, 0)} µs` : "not run",
      known(hc, bc) ? `${dec(hc! / bc!, 2)}×` : "–", known(hc, bc) ? hc! <= 3 * bc! : null);
  }
  {
    const ps = presences(results);
    const big = ps.at(-1);
    const small = ps.length > 1 ? ps[0] : undefined;
    add(`presence storm of ${big ? int(big.members) : "?"} into one room: every count converged ≤ 2 s after the last join`,
      big ? `${int(big.completeAfterLastJoinMs)} ms (${int(big.complete)}/${int(big.members)})` : "not run", "n/a", "", big ? big.complete === big.members && big.completeAfterLastJoinMs <= 2000 : null);
    // Counted over the joins the room answered as large (the first PRESENCE_LIST_MAX joins are a
    // small room's, with per-user diffs whose bytes depend on how the storm's joins fell into
    // PRESENCE_INTERVAL_MS windows): each join's answer plus the presence frames of that phase.
    const both = big && small && big.largeJoins > 0 && small.largeJoins > 0;
    add("presence bytes per join above the threshold (answer + presence frames, per large join) do not grow with the room: larger room ≤ 1.25× smaller",
      both ? `${int(big.largeBytesPerJoin)} B at ${int(big.members)}, ${int(small.largeBytesPerJoin)} B at ${int(small.members)}` : "not run", "n/a",
      both ? `${dec(big.largeBytesPerJoin / small.largeBytesPerJoin, 2)}×` : "–", both ? big.largeBytesPerJoin <= 1.25 * small.largeBytesPerJoin : null);
  }
  {
    // Medians over the rounds; each ratio is the median of the rounds' ratios (pairedRatio).
    const [hb, b, h] = [batchedRows(results, "hubbub+batch", "400k/s"), batchedRows(results, "baseline", "400k/s"), batchedRows(results, "hubbub", "400k/s")];
    const cpu = (rows: StepRow[]) => rows.map((r) => r.result.cpuPerDeliveryUs);
    const p99 = (rows: StepRow[]) => rows.map((r) => r.result.p99Ms);
    const rounds = hb.length > 1 ? ` (medians of ${hb.length} rounds; ratio: median of the rounds' ratios)` : "";
    const [cpuRatio, p99Ratio] = [pairedRatio(cpu(hb), cpu(b)), pairedRatio(p99(hb), p99(b))];
    const us = (rows: StepRow[]) => (rows.length ? `${dec(median(cpu(rows))!, 2)} µs` : "not run");
    add(`batched frames: server CPU per delivery at 400k/s, 1,000 members, 10 senders ≤ 0.6× baseline${rounds}`,
      hb.length ? `${us(hb)} (unbatched: ${h.length ? us(h) : "–"})` : "not run", us(b),
      cpuRatio !== undefined ? `${dec(cpuRatio, 2)}×` : "–", cpuRatio !== undefined ? cpuRatio <= 0.6 : null);
    const ms = (rows: StepRow[]) => (rows.length ? `${dec(median(p99(rows))!)} ms` : "not run");
    add(`batched frames: p99 at 400k/s ≤ 1.25× baseline${rounds}`, ms(hb), ms(b), p99Ratio !== undefined ? `${dec(p99Ratio, 2)}×` : "–", p99Ratio !== undefined ? p99Ratio <= 1.25 : null);
    const [m, mb_] = [batchedRows(results, "hubbub+batch", "1000k/s"), batchedRows(results, "baseline", "1000k/s")];
    const delivered = (rows: StepRow[]) => median(rows.map((r) => r.result.deliveredRatio));
    const show = (rows: StepRow[]) => (rows.length ? `${pct(delivered(rows)!)}, p99 ${ms(rows)}` : "not run");
    add(`batched frames: 1,000 msg/s into 1,000 members (1M deliveries/s offered): ≥ ${PASS_DELIVERED * 100}% delivered, p99 ≤ ${PASS_P99_MS} ms${m.length > 1 ? ` (medians of ${m.length} rounds)` : ""}`,
      show(m), show(mb_), "", m.length ? delivered(m)! >= PASS_DELIVERED && median(p99(m))! <= PASS_P99_MS : null);
  }
  {
    const h = holds(results).find((r) => r.server === "hubbub");
    const b = holds(results).find((r) => r.server === "baseline");
    const n = h ? int(h.connections) : "?";
    add(`${n} connections in one room: memory per connection ≤ 3 KB`, h ? kb(h.bytesPerConnection) : "not run", b ? kb(b.bytesPerConnection) : "not run", "", h && h.failed === 0 ? h.bytesPerConnection <= 3072 : null);
    add(`${n} idle connections: server CPU < 2% of a core`, h ? pct(h.idleCpuShare) : "not run", b ? pct(b.idleCpuShare) : "not run", "", h && h.failed === 0 ? h.idleCpuShare < 0.02 : null);
    const f = h?.fanout;
    add(`${n} connections: one message to the whole room, p99 ≤ ${PASS_P99_MS} ms`, f ? `${pct(f.result.deliveredRatio)}, p99 ${dec(f.result.p99Ms)} ms` : "not run",
      b?.fanout ? `p99 ${dec(b.fanout.result.p99Ms)} ms` : "not run", "", f ? f.pass : null);
  }
  {
    const js = joinCosts(results).sort((a, b) => a.members - b.members);
    const [small, big] = [js[0], js.length > 1 ? js.at(-1) : undefined];
    add("Redis engine: commands per join do not grow with the room: larger room ≤ 1.25× smaller",
      small && big ? `${dec(big.perJoin, 2)} at ${int(big.members)} members, ${dec(small.perJoin, 2)} at ${int(small.members)}` : "not run", "n/a",
      small && big ? `${dec(big.perJoin / small.perJoin, 2)}×` : "–", small && big ? big.perJoin <= 1.25 * small.perJoin : null);
  }
}
