// In-process stand-ins for the unit tests of the Hub and the Session: a socket that records
// what is sent to it, and a node (Hub + memory engine + services) wired as server.ts wires one.
import { defaultConfig, type Config } from "../src/config.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { Hub } from "../src/hub.ts";
import { createResumeTokens } from "../src/identity.ts";
import { createServices, onControl } from "../src/services.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { Session, type Handshake, type SessionPolicy, type Socket } from "../src/session.ts";
import { roomTopic } from "../src/topics.ts";

export class FakeSocket implements Socket {
  sent: ServerFrame[] = [];
  topics = new Set<string>();
  closedWith: number | null = null;
  buffered = 0;
  /** What send() returns: bytes written, -1 (queued) or 0 (dropped). */
  status: number | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
    return this.status ?? data.length;
  }
  close(code?: number) {
    this.closedWith = code ?? 1000;
  }
  terminate() {}
  subscribe(t: string) {
    this.topics.add(t);
  }
  unsubscribe(t: string) {
    this.topics.delete(t);
  }
  getBufferedAmount() {
    return this.buffered;
  }
  ping() {
    return 0;
  }
}

export const handshake = (h: Partial<Handshake> = {}): Handshake => ({ name: null, room: null, since: null, epoch: null, resume: null, ...h });

export function policy(over: Partial<SessionPolicy> = {}): SessionPolicy {
  return { ratePerSecond: 10, joinsPerSecond: 10, requestsPerSecond: 10, sent() {}, onEvict() {}, onError() {}, ...over };
}

/** One node in process: Hub, memory engine and services, with fake sockets for its sessions. */
export async function fakeNode(overrides: Partial<Config> = {}) {
  const config = defaultConfig({ presenceIntervalMs: 1, dataDir: "", ...overrides });
  const engine = new MemoryEngine({ historySize: 10 });
  const hub = new Hub(config);
  const services = createServices(hub, engine, config, createResumeTokens("t".repeat(32)));
  const published: [string, ServerFrame][] = [];
  hub.bind((room, data) => (published.push([roomTopic(room), JSON.parse(data)]), data.length), (msg) => void onControl(services, msg));
  await engine.start(hub);
  const sessionPolicy = policy({ sent: (s, status) => hub.slow.sent(s, status) });
  let n = 0;
  const open = async (name: string | null, room: string | null = null, h: Partial<Handshake> = {}) => {
    const s = new Session(`c${++n}`, handshake({ name, room, ...h }), sessionPolicy);
    const ws = new FakeSocket();
    s.attach(ws);
    hub.connect(s);
    await services.admission.admit(s);
    return { s, ws };
  };
  return { hub, engine, services, open, published, config };
}
