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

export interface Heartbeat {
  /** Records an inbound frame. */
  touch(): void;
  stop(): void;
}

/** Starts watching one socket (a closure: it lives as long as that socket). */
export function startHeartbeat(opts: HeartbeatOptions): Heartbeat {
  const now = opts.now ?? Date.now;
  let lastSeen = now();
  let pingedAt: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (ms: number) => {
    timer = setTimeout(check, Math.max(1, ms));
  };
  function check(): void {
    const t = now();
    if (pingedAt !== null) {
      if (lastSeen >= pingedAt) pingedAt = null;
      else if (t - pingedAt >= opts.timeoutMs) return opts.onDead();
      else return schedule(pingedAt + opts.timeoutMs - t);
    }
    const idle = t - lastSeen;
    if (idle < opts.intervalMs) return schedule(opts.intervalMs - idle);
    pingedAt = t;
    opts.sendPing();
    schedule(opts.timeoutMs);
  }
  schedule(opts.intervalMs);
  return {
    touch: () => (lastSeen = now()),
    stop: () => clearTimeout(timer),
  };
}
