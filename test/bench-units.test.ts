// The benchmark's own measuring pieces (bench/): if these are wrong, every number is.
import { describe, expect, it } from "bun:test";
import { alternateNodes, membersByNode, sendersIn } from "../bench/cluster.ts";
import { Histogram, bucketOf } from "../bench/histogram.ts";
import type { StepResult } from "../bench/measure.ts";
import { median } from "../bench/format.ts";
import { pairedRatio } from "../bench/report-lookups.ts";
import { targets } from "../bench/report-targets.ts";
import type { ScenarioResult, ServerKind, StepRow, StepsResult } from "../bench/results.ts";
import { clientsInRooms } from "../bench/scenarios.ts";
import { eachFrame, readStamp, stamp, stampedChat } from "../bench/wire.ts";
import { encode } from "../src/shared/protocol.ts";
import { metricSample } from "./helpers.ts";

describe("bench Histogram", () => {
  it("keeps every value in a bucket within 3% of it, in order", () => {
    let last = -1;
    for (let v = 0; v < 5_000_000; v = Math.max(v + 1, Math.floor(v * 1.01))) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
      const h = new Histogram();
      h.record(v);
      expect(Math.abs(h.percentile(0.5) - v)).toBeLessThanOrEqual(Math.max(0.5, v * 0.03));
    }
  });

  it("answers percentiles of a known distribution and merges by addition", () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let v = 1; v <= 1000; v++) (v % 2 ? a : b).record(v * 100);
    a.merge(b.counts, b.max);
    expect(a.count).toBe(1000);
    expect(a.max).toBe(100_000);
    for (const [p, want] of [[0.5, 50_000], [0.9, 90_000], [0.99, 99_000]] as const) {
      expect(Math.abs(a.percentile(p) - want) / want).toBeLessThan(0.03);
    }
    expect(new Histogram().percentile(0.5)).toBeNaN();
  });
});

describe("bench stamps", () => {
  const text = JSON.parse(stampedChat(7, 1_732_730_000_123_456, "xxxx")).text as string;

  it("are found in the baseline's echoed chat frame", () => {
    expect(readStamp(stampedChat(7, 1_732_730_000_123_456, "xxxx"))).toBe(true);
    expect(stamp).toEqual({ step: 7, sentUs: 1_732_730_000_123_456 });
  });

  it("are found in Hubbub's message frame, whatever the sender is called", () => {
    const frame = encode({ type: "message", room: "r", seq: 3, id: "n-1", ts: 1, from: { id: "ab", name: "text" }, kind: "text", text });
    expect(readStamp(frame)).toBe(true);
    expect(stamp).toEqual({ step: 7, sentUs: 1_732_730_000_123_456 });
  });

  it("are not found in other frames", () => {
    for (const frame of ['{"type":"users","room":"r","seq":0,"users":[]}', '{"type":"notice","text":"~ hello"}', '{"type":"notice","text":"~12"}']) {
      expect(readStamp(frame)).toBe(false);
    }
  });
});

describe("bench cluster clients", () => {
  const clients = alternateNodes([...clientsInRooms(6, 6, "big"), ...clientsInRooms(3, 3, "small")], 2);

  it("alternates clients between the nodes, so every room is split evenly", () => {
    expect(clients.map((c) => c.node)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0]);
    expect(alternateNodes(clients, 1).every((c) => c.node === 0)).toBe(true);
  });

  it("counts each room's members on each node", () => {
    expect(membersByNode(clients, 2)).toEqual(new Map([["big0", [3, 3]], ["small0", [2, 1]]]));
    expect(membersByNode(clientsInRooms(4, 2, "r"), 1)).toEqual(new Map([["r0", [2]], ["r1", [2]]]));
  });

  it("picks senders among a room's members on one node, spread over them", () => {
    expect(sendersIn(clients, "big0", 0, 2)).toEqual([0, 2]);
    expect(sendersIn(clients, "big0", 1, 3)).toEqual([1, 3, 5]);
    expect(sendersIn(clients, "small0", 0, 5)).toEqual([6, 8]); // no more than there are
    expect(sendersIn(clients, "small0", 1, 1)).toEqual([7]);
  });
});

describe("bench metric samples", () => {
  const text = '# HELP hubbub_redis_commands_total x\n# TYPE hubbub_redis_commands_total counter\nhubbub_redis_commands_total 1234\nhubbub_redis_commands_total_other 9\nhubbub_errors_total{code="x"} 2\n';

  it("reads an unlabelled or a labelled series, and nothing else", () => {
    expect(metricSample(text, "hubbub_redis_commands_total")).toBe(1234);
    expect(metricSample(text, 'hubbub_errors_total{code="x"}')).toBe(2);
    expect(metricSample(text, "hubbub_redis_commands")).toBeUndefined();
  });
});

describe("bench cluster targets", () => {
  const base: StepResult = {
    sent: 100, expected: 10_000, delivered: 10_000, deliveredRatio: 1, stale: 0, offeredPerSec: 20_000, deliveredPerSec: 20_000,
    p50Ms: 1, p90Ms: 2, p99Ms: 3, maxMs: 4, serverCpuMs: 100, cpuPerDeliveryUs: 2, serverUtil: 0.5, generatorUtil: 0.5,
    rssBytes: 1, hwmBytes: 1, bytesPerFrame: 100, maxLagMs: 0, errors: 0, firstError: "", closes: {}, saturated: "neither",
  };
  const row = (label: string, members: number, result: Partial<StepResult>, pass = true, rate = 20): StepRow =>
    ({ label, members, senders: 5, ratePerSender: rate / 5, result: { ...base, ...result }, pass });
  const steps = (scenario: string, server: ServerKind, rows: StepRow[]): StepsResult => ({ kind: "steps", scenario, server, clients: 1100, rooms: 2, rows, evictions: 0 });
  const node = (p99Ms: number) => ({ expected: 5000, delivered: 5000, p50Ms: 1, p99Ms, maxMs: p99Ms });
  const results: ScenarioResult[] = [
    steps("cluster one node", "hubbub", [row("1,000 members, 400k/s", 1000, { deliveredPerSec: 400_000 }), row("1,000 members, 800k/s", 1000, { deliveredPerSec: 800_000 })]),
    steps("cluster one node", "hubbub+redis", [row("1,000 members, 400k/s", 1000, { deliveredPerSec: 390_000, cpuPerDeliveryUs: 3 }), row("1,000 members, 800k/s", 1000, { deliveredPerSec: 500_000 }, false)]),
    steps("cluster two nodes", "hubbub", [row("1,000 members × 20 msg/s", 1000, { p99Ms: 12 })]),
    steps("cluster two nodes", "2×hubbub+redis", [
      row("100 members × 200 msg/s", 100, { byNode: [node(2), node(4)] }, true, 200),
      row("1,000 members × 20 msg/s", 1000, { byNode: [node(9), node(15)], redisCommandsPerMessage: 1.07 }),
      row("100 members × 20 msg/s", 100, { offeredPerSec: 2000, redisCommandsPerMessage: 1.06 }),
    ]),
  ];
  const find = (start: string) => targets(results).filter((t) => t.target.startsWith(start));

  it("compares the engines' highest passing ramp steps in each room, against 0.7×", () => {
    const [t] = find("Redis engine, one node: max sustained");
    expect([t?.ratio, t?.met]).toEqual(["0.49×", false]); // 390k/s (800k failed) against 800k/s
    expect(find("Redis engine, one node: server CPU")[0]?.ratio).toBe("1.50×"); // at 400k/s, the highest both passed
  });

  it("reads cross-node latency from node B, at the highest delivery rate, in each room", () => {
    const lines = find("two Redis nodes");
    expect(lines.map((t) => t.met)).toEqual([true, false]);
    expect(lines[1]?.hubbub).toContain("p99 15.0 ms");
    expect(lines[1]?.baseline).toContain("p99 12.0 ms");
  });

  it("compares Redis commands per message between room sizes at one message rate", () => {
    const [t] = find("Redis commands per message");
    expect(t?.hubbub).toContain("1.07 at 1,000 members, 1.06 at 100 members");
    expect([t?.ratio, t?.met]).toEqual(["1.01×", true]);
  });
});

describe("bench median", () => {
  it("takes the middle value, the lower middle of an even count, and nothing of nothing", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([5])).toBe(5);
    expect(median([])).toBeUndefined();
  });
  it("pairs rounds: the median of each round's ratio, over the rounds both servers ran", () => {
    // Drift that a ratio of separate medians would misread: 30/22 = 1.36 there, 1.11 paired.
    expect(pairedRatio([20.7, 30.5, 32.0], [18.7, 22.3, 30.0])).toBeCloseTo(20.7 / 18.7, 10);
    expect(pairedRatio([2, 4], [1, 1, 1])).toBe(2);
    expect(pairedRatio([], [1])).toBeUndefined();
  });
});

describe("bench wire: batched frames", () => {
  it("hands each line of a batch to the reader in order, and a single frame as it is", () => {
    const seen: string[] = [];
    eachFrame('{"type":"message","text":"~1:2~"}\n{"type":"presence","joins":[],"leaves":[]}', (f) => seen.push(f));
    eachFrame('{"type":"users"}', (f) => seen.push(f));
    expect(seen).toEqual(['{"type":"message","text":"~1:2~"}', '{"type":"presence","joins":[],"leaves":[]}', '{"type":"users"}']);
  });
});
