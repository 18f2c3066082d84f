// The orchestrator's side of the load generator: a pool of worker processes (worker.ts), each
// holding a share of the clients. Client i lives in worker i % W, so any client list spreads
// evenly; the pool turns the workers' replies back into whole-run numbers.
import type { Subprocess } from "bun";
import { Histogram } from "./histogram.ts";
import type { ClientSpec, CollectReply, Reply, Request } from "./ipc.ts";
import { procStats } from "./proc.ts";

/** Longest a connect() may take; clients not ready by then count as failed. */
const CONNECT_TIMEOUT_MS = 60_000;

export interface LoadGenOptions {
  /** Worker processes. */
  workers: number;
  /** `taskset` CPU list to pin the workers to (e.g. "1"), or null for no pinning. */
  cpus: string | null;
}

export interface ConnectResult {
  ready: number;
  failed: number;
  /** Handshake → `users` frame, per client (µs). */
  connect: Histogram;
  /** First handshake begun → last client ready (ms). */
  elapsedMs: number;
  /** When the last client became ready (clockUs). */
  lastReadyUs: number;
}

export interface SendResult {
  /** Messages sent by each sending client, by global client index. */
  sent: Map<number, number>;
  maxLagMs: number;
}

export interface Collected extends Omit<CollectReply, "latencyByNode"> {
  /** Every delivery of the step. */
  latency: Histogram;
  /** The same, by the node the receiving client is on (one entry per url given to connect()). */
  latencyByNode: Histogram[];
}

export class LoadGen implements AsyncDisposable {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(reply: unknown): void; reject(err: Error): void }>();
  private readonly procs: Subprocess[] = [];
  private step = 0;
  private size = 0;

  private constructor(opts: LoadGenOptions) {
    const cmd = [process.execPath, `${import.meta.dir}/worker.ts`];
    for (let i = 0; i < opts.workers; i++) {
      this.procs.push(
        Bun.spawn(opts.cpus ? ["taskset", "-c", opts.cpus, ...cmd] : cmd, {
          stdio: ["ignore", "inherit", "inherit"],
          serialization: "advanced",
          ipc: (msg: { id: number; reply: unknown }) => {
            this.pending.get(msg.id)?.resolve(msg.reply);
            this.pending.delete(msg.id);
          },
        }),
      );
    }
    // A worker that dies fails every request still waiting, instead of hanging the run.
    this.procs.forEach((p, w) =>
      void p.exited.then((code) => {
        for (const { reject } of this.pending.values()) reject(new Error(`load generator worker ${w} exited (${code})`));
        this.pending.clear();
      }),
    );
  }

  static start(opts: LoadGenOptions): LoadGen {
    return new LoadGen(opts);
  }

  private call<O extends Request["op"]>(w: number, req: Extract<Request, { op: O }>): Promise<Reply<O>> {
    const id = this.nextId++;
    const proc = this.procs[w]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      proc.send({ id, req });
    });
  }

  private all<O extends Request["op"]>(make: (w: number) => Extract<Request, { op: O }>): Promise<Reply<O>[]> {
    return Promise.all(this.procs.map((_, w) => this.call<O>(w, make(w))));
  }

  /** Worker `w`'s share of a global list: items w, w+W, w+2W, … */
  private share<T>(items: readonly T[], w: number): T[] {
    const out: T[] = [];
    for (let i = w; i < items.length; i += this.procs.length) out.push(items[i]!);
    return out;
  }

  /**
   * Opens every client (once per LoadGen) and waits until each has its `users` frame or has
   * failed. A client connects to `urls[client.node ?? 0]`. `concurrency` handshakes are in
   * flight at once in each worker. `batch`: the clients ask for batched frames (and split them).
   */
  async connect(urls: string[], clients: ClientSpec[], concurrency: number, trackMembers = 0, batch = false): Promise<ConnectResult> {
    if (this.size > 0) throw new Error("connect() once per LoadGen");
    this.size = clients.length;
    const timeoutMs = CONNECT_TIMEOUT_MS;
    const replies = await this.all<"connect">((w) => ({ op: "connect", urls, clients: this.share(clients, w), concurrency, timeoutMs, trackMembers, batch }));
    const connect = new Histogram();
    for (const r of replies) connect.merge(r.connectCounts, r.connectMax);
    const started = Math.min(...replies.map((r) => r.startedUs));
    const lastReadyUs = Math.max(...replies.map((r) => r.lastReadyUs));
    return {
      ready: sum(replies.map((r) => r.ready)),
      failed: sum(replies.map((r) => r.failed)),
      connect,
      elapsedMs: (lastReadyUs - started) / 1000,
      lastReadyUs,
    };
  }

  /** Has `senders` (global client indexes) each send `ratePerSender` msg/s for `durationMs`. */
  async send(senders: number[], ratePerSender: number, durationMs: number, padding: number): Promise<SendResult> {
    const step = ++this.step;
    const W = this.procs.length;
    const mine = this.procs.map((_, w) => senders.filter((i) => i % W === w));
    const replies = await this.all<"send">((w) => ({ op: "send", step, senders: mine[w]!.map((i) => Math.floor(i / W)), ratePerSender, durationMs, padding }));
    const sent = new Map<number, number>();
    replies.forEach((r, w) => mine[w]!.forEach((i, k) => sent.set(i, r.sent[k]!)));
    return { sent, maxLagMs: Math.max(...replies.map((r) => r.maxLagMs)) };
  }

  /** Deliveries of the current step so far, and tracked user lists that are complete. */
  async stats(): Promise<{ delivered: number; complete: number }> {
    const replies = await this.all<"stats">(() => ({ op: "stats" }));
    return { delivered: sum(replies.map((r) => r.delivered)), complete: sum(replies.map((r) => r.complete)) };
  }

  /** Everything the workers measured in the current step, merged. */
  async collect(): Promise<Collected> {
    const replies = await this.all<"collect">(() => ({ op: "collect" }));
    const latency = new Histogram();
    const latencyByNode: Histogram[] = [];
    const closes: Record<string, number> = {};
    for (const r of replies) {
      r.latencyByNode.forEach((h, node) => {
        latency.merge(h.counts, h.max);
        (latencyByNode[node] ??= new Histogram()).merge(h.counts, h.max);
      });
      for (const [code, n] of Object.entries(r.closes)) closes[code] = (closes[code] ?? 0) + n;
    }
    const total = (f: (r: CollectReply) => number) => sum(replies.map(f));
    return {
      latency,
      latencyByNode,
      closes,
      delivered: total((r) => r.delivered),
      stale: total((r) => r.stale),
      bytes: total((r) => r.bytes),
      frames: total((r) => r.frames),
      errors: total((r) => r.errors),
      firstError: replies.find((r) => r.firstError)?.firstError ?? "",
      presence: {
        frames: total((r) => r.presence.frames),
        bytes: total((r) => r.presence.bytes),
        snapshotBytes: total((r) => r.presence.snapshotBytes),
        largeJoins: total((r) => r.presence.largeJoins),
        largeSnapshotBytes: total((r) => r.presence.largeSnapshotBytes),
        largePresenceBytes: total((r) => r.presence.largePresenceBytes),
        complete: total((r) => r.presence.complete),
        lastCompleteUs: Math.max(...replies.map((r) => r.presence.lastCompleteUs)),
      },
    };
  }

  /** CPU time (ms) the workers have used so far, all together. */
  async cpuMs(): Promise<number> {
    const stats = await Promise.all(this.procs.map((p) => procStats(p.pid)));
    return sum(stats.map((s) => s?.cpuMs ?? 0));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.race([this.all<"close">(() => ({ op: "close" })).catch(() => {}), Bun.sleep(2000)]);
    for (const p of this.procs) p.kill("SIGKILL");
    await Promise.all(this.procs.map((p) => p.exited));
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
