// Connection limits by client address, checked before a WebSocket upgrade: MAX_CONNECTIONS in
// all and MAX_CONNECTIONS_PER_IP per address. Each address's sockets also share one message
// budget (IP_RATE_LIMIT), so a host with many sockets cannot flood a room by spreading the
// flood over them. Entries exist only while the address has an open socket, so the table is
// bounded by MAX_CONNECTIONS.
import type { Server } from "bun";
import { TokenBucket } from "./shared/rate-limit.ts";

export interface IpLimitOptions {
  /** Open sockets in all (MAX_CONNECTIONS). */
  maxConnections: number;
  /** Open sockets per address; 0 = unlimited (MAX_CONNECTIONS_PER_IP). */
  maxPerIp: number;
  /** Messages per second per address, burst 2x; 0 = no shared budget (IP_RATE_LIMIT). */
  ipRatePerSecond: number;
}

export type Refusal = "server_full" | "ip_full";
/**
 * An admitted socket's slot: its address's shared budget, and the address string itself, one
 * string per address shared by all of its sockets rather than one per socket.
 */
export type Admission = { ok: true; bucket: TokenBucket | null; ip: string } | { ok: false; reason: Refusal };

interface Entry {
  readonly ip: string;
  count: number;
  readonly bucket: TokenBucket | null;
}

export class IpLimits {
  private total = 0;
  private readonly byIp = new Map<string, Entry>();

  constructor(private readonly opts: IpLimitOptions) {}

  /** Open sockets counted now. */
  get size(): number {
    return this.total;
  }

  /** Distinct addresses with an open socket. */
  get addresses(): number {
    return this.byIp.size;
  }

  /** Takes a slot for one socket from `ip`, or says why not. Pair every success with release(). */
  acquire(ip: string, now = Date.now()): Admission {
    if (this.total >= this.opts.maxConnections) return { ok: false, reason: "server_full" };
    let e = this.byIp.get(ip);
    if (e && this.opts.maxPerIp > 0 && e.count >= this.opts.maxPerIp) return { ok: false, reason: "ip_full" };
    if (!e) {
      const r = this.opts.ipRatePerSecond;
      e = { ip, count: 0, bucket: r > 0 ? new TokenBucket(r, r * 2, now) : null };
      this.byIp.set(ip, e);
    }
    e.count++;
    this.total++;
    return { ok: true, bucket: e.bucket, ip: e.ip };
  }

  release(ip: string): void {
    const e = this.byIp.get(ip);
    if (!e) return;
    this.total--;
    if (--e.count === 0) this.byIp.delete(ip);
  }
}

/**
 * The client's address. Behind a proxy (TRUST_PROXY=1) it is the last X-Forwarded-For entry:
 * the one our own proxy appended; entries before it are whatever the client claimed. Without
 * TRUST_PROXY the header is ignored, since any client can send it.
 */
export function clientAddress(req: Request, srv: Pick<Server<unknown>, "requestIP">, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers.get("x-forwarded-for");
    const last = xff?.split(",").map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) return last.slice(0, 64);
  }
  return srv.requestIP(req)?.address ?? "";
}
