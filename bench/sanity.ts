// The smoke run's checks (`bun run bench --smoke`, run by CI): the bench ran end to end and its
// numbers make sense. Never a timing threshold: CI machines are noisy, so only counts and the
// presence of real numbers are checked.
import type { ScenarioResult } from "./results.ts";

/** Every problem found, as one line each; empty when the run is sane. */
export function sanityProblems(results: ScenarioResult[], failures: string[]): string[] {
  const problems = [...failures];
  const finite = (where: string, fields: Record<string, number>) => {
    for (const [k, v] of Object.entries(fields)) if (!Number.isFinite(v)) problems.push(`${where}: ${k} is ${v}`);
  };
  for (const r of results) {
    const at = `${r.scenario} (${r.server})`;
    switch (r.kind) {
      case "steps":
        if (r.rows.length === 0) problems.push(`${at}: no step ran`);
        for (const s of r.rows) {
          const x = s.result;
          if (x.expected === 0) problems.push(`${at} ${s.label}: nothing was sent`);
          if (x.delivered !== x.expected) problems.push(`${at} ${s.label}: delivered ${x.delivered} of ${x.expected}`);
          if (x.errors > 0) problems.push(`${at} ${s.label}: ${x.errors} error frames, first: ${x.firstError}`);
          finite(`${at} ${s.label}`, { p50Ms: x.p50Ms, p99Ms: x.p99Ms, maxMs: x.maxMs, deliveredPerSec: x.deliveredPerSec, cpuPerDeliveryUs: x.cpuPerDeliveryUs, rssBytes: x.rssBytes });
          // Every message costs its node at least one Redis command (the publish script).
          if (x.redisCommands !== undefined && !(x.redisCommands >= x.sent)) problems.push(`${at} ${s.label}: ${x.redisCommands} Redis commands for ${x.sent} messages`);
          x.byNode?.forEach((n, node) => {
            if (n.expected === 0) problems.push(`${at} ${s.label}: no deliveries were expected on node ${node}`);
            if (n.delivered !== n.expected) problems.push(`${at} ${s.label}: node ${node} delivered ${n.delivered} of ${n.expected}`);
          });
        }
        break;
      case "connect":
        if (r.failed > 0) problems.push(`${at}: ${r.failed} connections failed`);
        finite(at, { perSec: r.perSec, p99Ms: r.p99Ms, bytesPerConnection: r.bytesPerConnection });
        break;
      case "hold":
        if (r.failed > 0 || !r.fanout) problems.push(`${at}: ${r.failed} connections failed`);
        else if (r.fanout.result.delivered !== r.fanout.result.expected) problems.push(`${at}: delivered ${r.fanout.result.delivered} of ${r.fanout.result.expected}`);
        finite(at, { bytesPerConnection: r.bytesPerConnection, idleCpuShare: r.idleCpuShare });
        break;
      case "joins":
        // A join costs its node at least one Redis command (the member's write).
        if (!(r.redisCommands >= r.joins)) problems.push(`${at}: ${r.redisCommands} Redis commands for ${r.joins} joins`);
        break;
      case "presence":
        if (r.complete !== r.members) problems.push(`${at}: ${r.complete} of ${r.members} user lists complete`);
        finite(at, { completeAfterLastJoinMs: r.completeAfterLastJoinMs, presenceBytesPerJoin: r.presenceBytesPerJoin });
        break;
    }
  }
  return problems;
}
