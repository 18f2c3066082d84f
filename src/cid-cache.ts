// Recently seen client message ids (`cid`), so a retried send is answered with its original ack
// instead of being published again. Every entry lives IDEMPOTENCY_WINDOW_MS; the whole cache is
// bounded by `maxEntries` whatever the clients do (past it the oldest entries go first, which
// only a flood of over maxEntries sends within the window can cause).
import { IDEMPOTENCY_WINDOW_MS, type SendKey } from "./engine/engine.ts";

export class CidCache<T> {
  /** In insertion order, so the oldest is first. Key: user id + "\n" + cid. */
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly windowMs = IDEMPOTENCY_WINDOW_MS,
  ) {}

  get(key: SendKey, now = Date.now()): T | undefined {
    const e = this.entries.get(`${key.userId}\n${key.cid}`);
    return e && now - e.at <= this.windowMs ? e.value : undefined;
  }

  set(key: SendKey, value: T, now = Date.now()): void {
    const k = `${key.userId}\n${key.cid}`;
    if (this.entries.has(k)) return;
    this.entries.set(k, { value, at: now });
    for (const [old, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - e.at <= this.windowMs) break;
      this.entries.delete(old);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
