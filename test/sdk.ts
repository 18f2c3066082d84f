// Helpers for tests of the client SDK: a connected HubbubClient with fast reconnects, and
// event waits that are armed before the action that causes them.
import { CloseCode, HubbubClient, type ClientEvents, type HubbubClientOptions, type MessageFrame } from "hubbub/client";
import type { App } from "../src/server.ts";
import { WAIT_MS } from "./helpers.ts";

/** Reconnect timing for tests: quick, but still exponential with jitter. */
export const FAST_RECONNECT = { initialDelayMs: 20, maxDelayMs: 200 };

/** A client with fast reconnects, connected (welcomed and synced). */
export async function sdkClient(server: App | { wsUrl: string }, opts: Omit<HubbubClientOptions, "url"> = {}): Promise<HubbubClient> {
  const c = new HubbubClient({ url: server.wsUrl, reconnect: FAST_RECONNECT, ...opts });
  await c.connect();
  return c;
}

/** Resolves with the next `type` event that satisfies `pred`. Arm it before acting. */
export function nextEvent<K extends keyof ClientEvents>(
  c: HubbubClient,
  type: K,
  pred: (e: ClientEvents[K]) => boolean = () => true,
  timeoutMs = WAIT_MS,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for a ${String(type)} event`));
    }, timeoutMs);
    const off = c.on(type, (e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Records every delivered message and every state a client goes through. */
export function record(c: HubbubClient): { messages: MessageFrame[]; states: string[]; texts(room?: string): string[] } {
  const messages: MessageFrame[] = [];
  const states: string[] = [];
  c.on("message", (m) => messages.push(m));
  c.on("state", (s) => states.push(s.state));
  return { messages, states, texts: (room) => messages.filter((m) => room === undefined || m.room === room).map((m) => m.text) };
}

/** Resolves once `n` messages of `room` have been recorded. */
export async function messagesIn(rec: ReturnType<typeof record>, c: HubbubClient, room: string, n: number, timeoutMs = WAIT_MS): Promise<MessageFrame[]> {
  const have = () => rec.messages.filter((m) => m.room === room);
  if (have().length < n) await nextEvent(c, "message", () => have().length >= n, timeoutMs);
  return have();
}

/**
 * A WebSocket constructor for HubbubClient's `WebSocket` option that can be blocked: while
 * blocked, every new connection goes to a closed port and fails at once. It keeps a client
 * away from the server for exactly as long as a test needs, without timing guesses.
 */
export function gatedWebSocket(): { WebSocket: typeof WebSocket; block(): void; unblock(): void } {
  let blocked = false;
  class Gated extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(blocked ? "ws://127.0.0.1:9/ws" : url, protocols);
    }
  }
  return {
    WebSocket: Gated,
    block: () => void (blocked = true),
    unblock: () => void (blocked = false),
  };
}

/** Evicts the client's current connection from inside the server, as a slow consumer would be. */
export function evictConnection(app: App, c: HubbubClient): void {
  for (const s of app.hub.all()) if (s.conn === c.conn) s.evict(CloseCode.SlowConsumer);
}
