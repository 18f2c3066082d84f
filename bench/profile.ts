// Reads a `bun --cpu-prof` profile (Chrome .cpuprofile JSON) and names the top costs. JSC's
// sampler only takes samples while JavaScript (or native code it called, such as
// server.publish) runs; time spent in Bun's event loop and the kernel (socket reads and
// writes) shows up only in the process's CPU time. So the summary states both: what the JS
// side cost, and which functions inside it.
import { relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** What ran while profiling (the scenario). */
  label: string;
  /** Samples × interval: the time JS (and native code it called) was on the CPU (ms). */
  sampledMs: number;
  /** Wall time the profile covers (ms). */
  wallMs: number;
  /** Process CPU time over the same run (ms), to compare with sampledMs. */
  processCpuMs: number;
  /** Functions by self time, most first. */
  top: { name: string; where: string; selfMs: number; share: number }[];
  /** Self time by source (a file of ours, a package, or native code). */
  bySource: { source: string; selfMs: number; share: number }[];
}

const ROOT = `${import.meta.dir}/..`;

function where(url: string, line: number): string {
  if (!url) return "native";
  const path = url.replace(/^file:\/\//, "");
  const rel = path.startsWith("/") ? relative(ROOT, path) : path;
  return line >= 0 ? `${rel}:${line + 1}` : rel;
}

function source(url: string): string {
  if (!url) return "native (Bun/JSC)";
  const rel = relative(ROOT, url.replace(/^file:\/\//, ""));
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  return pkg ? `package ${pkg[1]}` : rel;
}

/** Summarises the profile at `path`, sampled every `intervalUs`. */
export async function summariseProfile(path: string, label: string, intervalUs: number, processCpuMs: number, topN = 15): Promise<ProfileSummary> {
  const p = (await Bun.file(path).json()) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const fns = new Map<string, { name: string; where: string; samples: number }>();
  const sources = new Map<string, number>();
  let total = 0;
  for (const [id, n] of hits) {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === "(root)" || f.functionName === "(idle)" || f.functionName === "(program)") continue;
    total += n;
    const name = f.functionName || "(anonymous)";
    const at = where(f.url, f.lineNumber);
    const key = `${name} ${at}`;
    const e = fns.get(key) ?? { name, where: at, samples: 0 };
    e.samples += n;
    fns.set(key, e);
    const src = source(f.url);
    sources.set(src, (sources.get(src) ?? 0) + n);
  }
  const ms = (samples: number) => (samples * intervalUs) / 1000;
  return {
    label,
    sampledMs: ms(total),
    wallMs: (p.endTime - p.startTime) / 1000,
    processCpuMs,
    top: [...fns.values()].sort((a, b) => b.samples - a.samples).slice(0, topN).map((f) => ({ name: f.name, where: f.where, selfMs: ms(f.samples), share: f.samples / total })),
    bySource: [...sources].sort((a, b) => b[1] - a[1]).map(([s, n]) => ({ source: s, selfMs: ms(n), share: n / total })),
  };
}
