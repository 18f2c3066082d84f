// The set of Redis channels this node listens to, kept across subscriber connections. The
// node subscribes only to rooms it has members in, so Redis sends a node only the traffic of
// its own rooms. Each channel is subscribed once per connection (Bun would call a second
// listener for a second SUBSCRIBE), and a new connection gets every wanted channel in one
// SUBSCRIBE.
import type { RedisClient } from "bun";
import type { Logger } from "../log.ts";

export type ChannelListener = (message: string, channel: string) => void;

export class Channels {
  private readonly wanted = new Set<string>();
  /** Channels subscribed (or being subscribed) on the current connection. */
  private readonly active = new Map<string, Promise<void>>();
  private client: RedisClient | null = null;

  private readonly listener: ChannelListener;

  /** `permanent` channels are wanted from the start and never removed. */
  constructor(listener: ChannelListener, permanent: string[], log: Logger) {
    for (const ch of permanent) this.wanted.add(ch);
    // A listener that throws must not take the subscription down with it.
    this.listener = (message, channel) => {
      try {
        listener(message, channel);
      } catch (err) {
        log.error("envelope handler failed", { channel, error: String((err as Error)?.stack ?? err) });
      }
    };
  }

  has(channel: string): boolean {
    return this.wanted.has(channel);
  }

  /**
   * Adds a channel; resolves once Redis confirmed the subscription. Rejects while disconnected
   * (the channel stays wanted, so the next connection subscribes it).
   */
  add(channel: string): Promise<void> {
    this.want(channel);
    const c = this.client;
    if (!c) return Promise.reject(new Error("Redis is unavailable"));
    let p = this.active.get(channel);
    if (!p) {
      const subscribing = c.subscribe(channel, this.listener).then(() => undefined);
      p = subscribing;
      this.active.set(channel, p);
      subscribing.catch(() => {
        if (this.active.get(channel) === subscribing) this.active.delete(channel);
      });
    }
    return p;
  }

  /** Marks a channel wanted without subscribing now: the next attach() subscribes it. */
  want(channel: string): void {
    this.wanted.add(channel);
  }

  /** Drops a channel (its last local member is gone). */
  remove(channel: string): void {
    this.wanted.delete(channel);
    if (this.active.delete(channel)) this.client?.unsubscribe(channel).catch(() => undefined);
  }

  /** A new subscriber connection: subscribes every wanted channel on it. */
  async attach(client: RedisClient): Promise<void> {
    this.client = client;
    this.active.clear();
    if (this.wanted.size === 0) return;
    const channels = [...this.wanted];
    const all = client.subscribe(channels, this.listener).then(() => undefined);
    for (const ch of channels) this.active.set(ch, all);
    await all;
  }

  /** The connection is gone: nothing is subscribed until the next attach(). */
  detach(): void {
    this.client = null;
    this.active.clear();
  }
}
