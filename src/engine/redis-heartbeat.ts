// Node liveness in the cluster, and this node's own health check. Every beat:
// - pushes this node's deadline in Redis (a sorted set of node → deadline, on Redis's clock);
// - reaps every node past its deadline (a SIGKILLed node never cleans up after itself);
// - notices when this node itself was not registered (it was reaped while cut off, or Redis
//   lost its data) and has its users and names re-asserted;
// - publishes a ping to this node's own channel. It goes command connection → Redis →
//   subscription, so its return proves both work; one that does not return in time (Redis
//   or the subscription went silent, e.g. Bun not resubscribing) resets the link.
import type { Logger } from "../log.ts";
import { pingEnvelope } from "./redis-envelope.ts";
import type { RedisKeys } from "./redis-keys.ts";
import { beatScript, type Send } from "./redis-scripts.ts";

/**
 * A beat runs every NODE_TTL_MS / BEATS_PER_TTL and pushes the node's deadline ALIVE_BEATS
 * beats ahead, so one or two late beats do not kill it. Every beat also reaps nodes past
 * their deadline, so a dead node's users are gone at most (ALIVE_BEATS + 1) / BEATS_PER_TTL
 * of the TTL after its last beat: within the TTL.
 */
export const BEATS_PER_TTL = 5;
export const ALIVE_BEATS = 3;
/** A ping unanswered for two beats, and at least this long, means Redis or the subscription went silent. */
export const SILENT_MIN_MS = 1000;

export interface HeartbeatDeps {
  nodeId: string;
  keys: RedisKeys;
  send: Send;
  /** NODE_TTL_MS. */
  nodeTtlMs: number;
  log: Logger;
  /** True while the link is up (no beats while it is down). */
  isUp(): boolean;
  /** The link went silent: reset it. */
  fail(reason: string): void;
  /** This node was found unregistered: write its share of the state back. */
  reassert(): Promise<void>;
  /** Removes a dead node's share; returns the members removed, -1 if it did nothing. */
  reap(node: string): Promise<number>;
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating = false;
  private pingsSent = 0;
  private pingsSeen = 0;
  private pingSentAt = 0;

  constructor(private readonly d: HeartbeatDeps) {}

  get intervalMs(): number {
    return Math.max(1, Math.floor(this.d.nodeTtlMs / BEATS_PER_TTL));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A ping came back through the subscription. */
  pong(n: number): void {
    this.pingsSeen = Math.max(this.pingsSeen, n);
  }

  /** A new subscriber connection: pings sent on the old one will not come back. */
  reset(): void {
    this.pingsSent = this.pingsSeen = 0;
  }

  /** Pushes this node's deadline; returns whether it was unregistered, and the dead nodes. */
  async beat(): Promise<{ fresh: boolean; dead: string[] }> {
    const aliveMs = Math.ceil((this.d.nodeTtlMs * ALIVE_BEATS) / BEATS_PER_TTL);
    const [fresh, dead] = (await beatScript.run(this.d.send, [this.d.keys.nodes], [this.d.nodeId, aliveMs])) as [number, string[]];
    return { fresh: fresh === 1, dead: dead.filter((n) => n !== this.d.nodeId) };
  }

  async reapAll(nodes: string[]): Promise<void> {
    for (const node of nodes) {
      const removed = await this.d.reap(node);
      if (removed >= 0) this.d.log.info("reaped a dead node", { node, users: removed });
    }
  }

  private async tick(): Promise<void> {
    if (!this.d.isUp()) return;
    // The health check runs even while an earlier beat is stuck: that is when it matters.
    const now = Date.now();
    if (this.pingsSeen < this.pingsSent) {
      if (now - this.pingSentAt > Math.max(SILENT_MIN_MS, 2 * this.intervalMs)) return this.d.fail("Redis or the subscription stopped answering");
    } else {
      this.pingSentAt = now;
      this.d.send("PUBLISH", [this.d.keys.nodeChannel(this.d.nodeId), pingEnvelope(this.d.nodeId, ++this.pingsSent)]).catch(() => undefined);
    }
    if (this.beating) return;
    this.beating = true;
    try {
      const { fresh, dead } = await this.beat();
      if (fresh) {
        this.d.log.warn("this node was not registered in Redis (declared dead, or Redis lost its data): re-asserting its users and names");
        await this.d.reassert();
      }
      await this.reapAll(dead);
    } catch (err) {
      this.d.log.debug("heartbeat failed", { error: String((err as Error)?.message ?? err) });
    } finally {
      this.beating = false;
    }
  }
}
