// Dead-link detection. Browsers cannot see WebSocket protocol pings, and a link that died
// without a FIN (a laptop lid, a NAT timeout) looks open for minutes. After `intervalMs` with
// no inbound frame the client sends an app-level `ping`; if still nothing arrives within
// `timeoutMs`, the link is declared dead. Any inbound frame counts as proof of life.

export interface HeartbeatOptions {
  /** Silence (ms) after which a ping goes out. */
  intervalMs: number;
  /** How long (ms) to wait for any frame after that ping. */
  timeoutMs: number;
  sendPing(): void;
  onDead(): void;
  now?: () => number;
}

export class Heartbeat {
  private lastSeen: number;
  private pingedAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly now: () => number;
  private readonly opts: HeartbeatOptions;

  constructor(opts: HeartbeatOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.lastSeen = this.now();
    this.schedule(opts.intervalMs);
  }

  /** Records an inbound frame. */
  touch(): void {
    this.lastSeen = this.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, ms));
  }

  private check(): void {
    const now = this.now();
    if (this.pingedAt !== null) {
      if (this.lastSeen >= this.pingedAt) this.pingedAt = null;
      else if (now - this.pingedAt >= this.opts.timeoutMs) return this.opts.onDead();
      else return this.schedule(this.pingedAt + this.opts.timeoutMs - now);
    }
    const idle = now - this.lastSeen;
    if (idle < this.opts.intervalMs) return this.schedule(this.opts.intervalMs - idle);
    this.pingedAt = now;
    this.opts.sendPing();
    this.schedule(this.opts.timeoutMs);
  }
}
