// The operator's view: Prometheus text exposition of what the server is doing, through
// prom-client (checked to run under Bun, event-loop lag included). prom-client is the
// reference client: correct text format, label escaping and histogram buckets, which a
// hand-written exposition would have to get right and keep right.
//
// Each App has its own registry (tests run many servers in one process). Process metrics are
// our own few gauges rather than prom-client's collectDefaultMetrics: its event-loop monitor
// (perf_hooks.monitorEventLoopDelay, a 10 ms native timer) measurably delayed our slow-consumer
// sweep under a firehose in Bun 1.4.5 (test/abuse.test.ts then saw Bun's backstop close the
// sloth before we could), and one coarse timer tells an operator what lag they need to know.
import client from "prom-client";
import type { CloseCode, ErrorCode } from "./shared/codes.ts";
import type { Engine } from "./engine/engine.ts";
import type { Hub, LocalPublish } from "./hub.ts";

const PREFIX = "hubbub_";
/** Publish-to-send latency buckets, in seconds (1 ms … 2.5 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** How often the event-loop lag probe runs. */
const LAG_PROBE_MS = 500;

/** Why a connection was refused before or at the upgrade. */
export type RefusalReason = "server_full" | "ip_full" | "origin" | "unauthorized" | "shutting_down" | "engine_not_ready";

export interface Metrics {
  /** A WebSocket opened. */
  opened(): void;
  /** A WebSocket closed with `code` (as Bun's close handler saw it). */
  closed(code: number): void;
  refused(reason: RefusalReason): void;
  /** One inbound frame of `bytes`. */
  frameIn(bytes: number): void;
  evicted(code: CloseCode): void;
  /** An error frame went out. */
  error(code: ErrorCode): void;
  /** A frame went to one socket directly. */
  sent(bytes: number): void;
  /** Wraps Bun's topic publish so room and presence traffic is counted where it fans out. */
  instrumentPublish(publish: LocalPublish): LocalPublish;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  /** The registry, for the parts that keep metrics of their own (webhooks/metrics.ts, the server API). */
  readonly registry: client.Registry;
  /** Stops the lag probe (shutdown). */
  stop(): void;
}

export function createMetrics(hub: Hub, engine: Engine): Metrics {
  const registry = new client.Registry();
  const r = [registry];
  const gauge = (name: string, help: string, collect: () => number) =>
    new client.Gauge({ name: PREFIX + name, help, registers: r, collect() { this.set(collect()); } });
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new client.Counter<L>({ name: PREFIX + name, help, labelNames, registers: r });

  gauge("connections", "Open WebSocket connections.", () => hub.size);
  gauge("rooms", "Rooms with at least one member on this node.", () => hub.roomCount);
  const historySource = engine as Partial<{ historyMessages(): number }>;
  gauge("history_messages", "Messages kept in room history (memory engine; 0 when the engine keeps history elsewhere).", () => historySource.historyMessages?.() ?? 0);
  /** A label-less counter that mirrors `read()` at scrape time (read: a running total kept elsewhere). */
  const mirrored = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new client.Counter({
      name: PREFIX + name, help, registers: r,
      collect() {
        const n = read();
        if (n > seen) this.inc(n - seen);
        seen = n;
      },
    });
  };
  /**
   * A label-less counter for the hot paths (every connection, frame and publish): a plain
   * number bumped in place, handed to prom-client only at scrape time. prom-client's inc()
   * hashes its labels on every call, and was the largest JavaScript item on the chat path.
   */
  const tally = (name: string, help: string) => {
    const t = { n: 0 };
    mirrored(name, help, () => t.n);
    return t;
  };
  // Read from the engine at scrape time: the link counts every command it sends (a script is
  // one command, one round-trip). Benchmarks read it to show Redis work per message; an
  // operator sees the node's load on Redis.
  const commandSource = engine as Partial<{ commandsSent: number }>;
  mirrored("redis_commands_total", "Commands this node sent to Redis, a Lua script counting as one (redis engine; 0 with the memory engine).", () => commandSource.commandsSent ?? 0);
  const opened = tally("connections_total", "WebSocket connections opened.");
  const closed = counter("connections_closed_total", "WebSocket connections closed, by close code.", ["code"]);
  const refused = counter("connections_refused_total", "Upgrades refused or closed at once, by reason.", ["reason"]);
  const framesIn = tally("messages_in_total", "Frames received from clients.");
  const bytesIn = tally("bytes_in_total", "Bytes of frames received from clients.");
  const messagesOut = tally("messages_out_total", "Room messages published to this node's subscribers.");
  const deliveries = tally("deliveries_total", "Frames handed to sockets: one per subscriber of each published frame, plus direct sends.");
  const bytesOut = tally("bytes_out_total", "Bytes handed to sockets (per subscriber).");
  const evictions = counter("evictions_total", "Connections the server evicted, by reason (slow, idle, abuse).", ["reason"]);
  const errors = counter("errors_total", "Error frames sent, by code.", ["code"]);
  const rateLimited = counter("rate_limited_total", "Frames refused by a rate limit (per connection, per address or join churn).");
  const presence = tally("presence_frames_total", "Presence frames published (each reaches every local member of its room).");
  const latency = new client.Histogram({
    name: `${PREFIX}publish_to_send_seconds`,
    help: "From a message's timestamp (set when the hub accepted it) to its hand-off to Bun's topic publish on this node.",
    buckets: LATENCY_BUCKETS,
    registers: r,
  });

  const EVICTION_REASON: Record<number, string> = { 4008: "slow", 4000: "idle", 1008: "abuse" };

  // Process: memory from the runtime, event-loop lag from a timer's lateness (the worst since
  // the last scrape, so a short stall between scrapes is not missed).
  gauge("process_resident_memory_bytes", "Resident set size of the process.", () => process.memoryUsage().rss);
  gauge("process_heap_used_bytes", "JavaScript heap in use.", () => process.memoryUsage().heapUsed);
  let lagMaxMs = 0;
  let expected = performance.now() + LAG_PROBE_MS;
  const lagProbe = setInterval(() => {
    const now = performance.now();
    lagMaxMs = Math.max(lagMaxMs, now - expected);
    expected = now + LAG_PROBE_MS;
  }, LAG_PROBE_MS);
  lagProbe.unref();
  gauge("event_loop_lag_seconds", `Worst event-loop lag seen since the previous scrape (probed every ${LAG_PROBE_MS} ms).`, () => {
    const v = Math.max(0, lagMaxMs) / 1000;
    lagMaxMs = 0;
    return v;
  });

  return {
    opened: () => void opened.n++,
    closed: (code) => closed.inc({ code: String(code) }),
    refused: (reason) => refused.inc({ reason }),
    frameIn(bytes) {
      framesIn.n++;
      bytesIn.n += bytes;
    },
    evicted: (code) => evictions.inc({ reason: EVICTION_REASON[code] ?? String(code) }),
    error(code) {
      errors.inc({ code });
      if (code === "rate_limited") rateLimited.inc();
    },
    sent(bytes) {
      deliveries.n++;
      bytesOut.n += bytes;
    },
    instrumentPublish(publish) {
      return (room, data) => {
        // Frames are encoded with `type` first (protocol.ts encode), so a prefix test is exact.
        if (data.startsWith('{"type":"message"')) {
          messagesOut.n++;
          const ts = tsOf(data);
          if (ts !== null) latency.observe(Math.max(0, Date.now() - ts) / 1000);
        } else if (data.startsWith('{"type":"presence"')) presence.n++;
        const n = hub.localMembers(room);
        deliveries.n += n;
        bytesOut.n += n * Buffer.byteLength(data);
        return publish(room, data);
      };
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
    registry,
    stop: () => clearInterval(lagProbe),
  };
}

/** The `ts` of an encoded message frame (its first `"ts":` field; ids and rooms cannot contain one). */
function tsOf(data: string): number | null {
  const i = data.indexOf('"ts":');
  if (i < 0) return null;
  const n = Number.parseInt(data.slice(i + 5, i + 25), 10);
  return Number.isFinite(n) ? n : null;
}
