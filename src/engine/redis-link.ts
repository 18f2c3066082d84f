// The Redis engine's two connections and their lifecycle: one for commands (auto-pipelined by
// Bun) and one for pub/sub (a subscribed connection can do nothing else), made with
// duplicate(). Start-up fails fast with one clear reason. A connection lost while running is
// retried here, with capped exponential backoff, until both are back; the engine is told when
// a link goes down and gets a fresh subscriber connection to restore its state onto.
//
// Bun's own autoReconnect is off on purpose: after its automatic reconnect the client does not
// re-issue SUBSCRIBE, so messages would silently stop (see ../../shared/BUN-NOTES.md), and it
// gives up after maxRetries. A new subscriber connection per recovery avoids both. The offline
// queue is off too, so a command during an outage fails at once instead of hanging a client.
import { RedisClient } from "bun";
// The SDK's pure backoff function (full jitter): the same policy for a node coming back to
// Redis as for clients coming back to a node.
import { reconnectDelay, type BackoffOptions } from "../shared/backoff.ts";
import type { Logger } from "../log.ts";

/** How long one connection attempt may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 3000;
/** Retries after a loss: a random delay under 100 ms, doubling per failed attempt up to 5 s. */
export const RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 5000 };
/**
 * Longest one recovery attempt (connect, subscribe, restore) may take. A Redis that accepts
 * connections but never answers would otherwise hold the attempt, and the node, forever.
 */
export const RECOVERY_TIMEOUT_MS = 10_000;

export interface LinkHooks {
  /** A new subscriber connection: subscribe and restore state onto it. Throwing retries later. */
  restore(sub: RedisClient): Promise<void>;
  /** The link went down (a connection closed, or fail() was called). Not ready until restore() succeeds. */
  lost(reason: string): void;
}

type State = "new" | "up" | "down" | "closed";

export class RedisLink {
  private readonly cmd: RedisClient;
  private sub: RedisClient | null = null;
  private state: State = "new";
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Commands sent so far (for tests and benchmarks: Redis round-trips per message). */
  commands = 0;

  constructor(
    private readonly url: string,
    private readonly hooks: LinkHooks,
    private readonly log: Logger,
  ) {
    this.cmd = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: CONNECT_TIMEOUT_MS });
  }

  /** True while both connections are up and state was restored onto them. */
  get up(): boolean {
    return this.state === "up";
  }

  /** Connects both connections and runs the first restore. Rejects with one clear line. */
  async start(): Promise<void> {
    const why = (err: unknown) => String((err as Error)?.message ?? err);
    try {
      await this.cmd.connect();
    } catch (err) {
      this.close();
      throw new Error(`cannot reach Redis at ${redact(this.url)} (${why(err)}): is it running, and is REDIS_URL right?`);
    }
    try {
      this.cmd.onclose = () => this.lose("command connection closed");
      await this.openSubscriber();
    } catch (err) {
      this.close();
      throw new Error(`Redis at ${redact(this.url)} answered but the node could not join the cluster: ${why(err)}`);
    }
    this.state = "up";
  }

  /** Sends one command on the command connection; rejects at once while it is down. */
  send = (command: string, args: string[]): Promise<unknown> => {
    this.commands++;
    return this.cmd.send(command, args);
  };

  /** Declares the link broken (e.g. the subscription went silent) and recovers it. */
  fail(reason: string): void {
    this.lose(reason);
  }

  close(): void {
    this.state = "closed";
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropSubscriber();
    this.cmd.onclose = null;
    this.cmd.close();
  }

  /**
   * Any loss resets both connections: commands stuck on a half-open connection are rejected
   * instead of hanging their callers, and the recovery starts from a known state.
   */
  private lose(reason: string): void {
    if (this.state !== "up") return;
    this.state = "down";
    this.log.warn("redis connection lost", { reason });
    this.dropSubscriber();
    this.cmd.close();
    this.hooks.lost(reason);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state !== "down") return;
    this.retryTimer = setTimeout(() => void this.recover(), reconnectDelay(this.attempt++, RETRY_BACKOFF));
  }

  private async recover(): Promise<void> {
    this.retryTimer = null;
    let failure: unknown = null;
    // Closing the connections rejects whatever the attempt is waiting on.
    const deadline = setTimeout(() => {
      this.dropSubscriber();
      this.cmd.close();
    }, RECOVERY_TIMEOUT_MS);
    try {
      await this.cmd.connect();
      await this.openSubscriber();
      // A connection that closed during the restore went unnoticed (we were down): check.
      if (!this.cmd.connected || !this.sub?.connected) throw new Error("connection closed during restore");
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(deadline);
    }
    if (this.state === "closed") {
      // close() ran while this attempt was connecting: do not leave its connections open.
      this.dropSubscriber();
      this.cmd.close();
      return;
    }
    if (failure) {
      this.log.debug("redis reconnect failed", { attempt: this.attempt, error: String((failure as Error)?.message ?? failure) });
      return this.scheduleRetry();
    }
    this.log.info("redis connection restored", { attempts: this.attempt });
    this.attempt = 0;
    this.state = "up";
  }

  private async openSubscriber(): Promise<void> {
    this.dropSubscriber();
    const sub = await this.cmd.duplicate();
    this.sub = sub;
    if (!sub.connected) await sub.connect();
    sub.onclose = () => this.lose("subscriber connection closed");
    await this.hooks.restore(sub);
  }

  private dropSubscriber(): void {
    if (!this.sub) return;
    this.sub.onclose = null;
    this.sub.close();
    this.sub = null;
  }
}

/** The URL without its password, for log lines and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
}
