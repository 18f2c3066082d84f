// Recently seen client message ids (`cid`), so a retried send is answered with its original ack
// instead of being published again. Every entry lives IDEMPOTENCY_WINDOW_MS; the whole cache is
// bounded by `maxEntries` whatever the clients do (past it the oldest entries go first, which
// only a flood of over maxEntries sends within the window can cause).
import { IDEMPOTENCY_WINDOW_MS, type SendKey } from "./engine/engine.ts";

/**
 * One string per SendKey. User ids can hold any character (a JWT `sub`), so the id is
 * length-prefixed: no separator alone could keep ("a\nb", "c") and ("a", "b\nc") apart.
 */
const keyOf = (key: SendKey): string => `${key.userId.length}:${key.userId}:${key.cid}`;

export class CidCache<T> {
  /** In insertion order, so the oldest is first. */
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly windowMs = IDEMPOTENCY_WINDOW_MS,
  ) {}

  get(key: SendKey, now = Date.now()): T | undefined {
    const e = this.entries.get(keyOf(key));
    return e && now - e.at <= this.windowMs ? e.value : undefined;
  }

  /** Remembers `value` for `key` unless a live entry holds it already (the first send wins). */
  set(key: SendKey, value: T, now = Date.now()): void {
    const k = keyOf(key);
    const old = this.entries.get(k);
    if (old && now - old.at <= this.windowMs) return;
    // An expired entry is replaced, and moves to the end, where its new time belongs.
    if (old) this.entries.delete(k);
    this.entries.set(k, { value, at: now });
    for (const [first, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - e.at <= this.windowMs) break;
      this.entries.delete(first);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
