// The Hub with fake sockets: membership bookkeeping without any network.
import { describe, expect, it } from "bun:test";
import { CloseCode } from "../src/shared/codes.ts";
import { defaultConfig } from "../src/config.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { Hub } from "../src/hub.ts";
import { silentLogger } from "../src/log.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { Session, type Socket } from "../src/session.ts";
import { roomTopic } from "../src/topics.ts";

class FakeSocket implements Socket {
  sent: ServerFrame[] = [];
  topics = new Set<string>();
  closedWith: number | null = null;
  buffered = 0;
  send(data: string) {
    this.sent.push(JSON.parse(data));
    return data.length;
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
  cork<T>(fn: () => T) {
    return fn();
  }
}

async function setup() {
  const config = defaultConfig({ presenceIntervalMs: 1 });
  const engine = new MemoryEngine({ historySize: 10 });
  const hub = new Hub(engine, config, silentLogger);
  const published: [string, ServerFrame][] = [];
  hub.bind((room, data) => (published.push([roomTopic(room), JSON.parse(data)]), data.length));
  await engine.start(hub);
  const policy = { slowConsumerBytes: 100, ratePerSecond: 10, joinsPerSecond: 10, onEvict() {}, onError() {} };
  const open = async (name: string | null, room: string | null = null) => {
    const s = new Session(`id-${Math.random().toString(16).slice(2, 8)}`, { name, room, since: null }, policy);
    const ws = new FakeSocket();
    s.attach(ws);
    hub.connect(s);
    await hub.admit(s);
    return { s, ws };
  };
  return { hub, engine, open, published };
}

describe("Hub", () => {
  it("subscribes a session to its initial room (not to a topic of its own), both ways indexed", async () => {
    const { hub, open } = await setup();
    const { s, ws } = await open("alice", "den");
    expect(ws.topics).toEqual(new Set(["r:den"]));
    expect(s.rooms).toEqual(["den"]);
    expect(hub.localMembers("den")).toBe(1);
    expect(ws.sent.map((f) => f.type)).toEqual(["welcome", "users"]);
  });

  it("removes a disconnected session from every room and frees its name in one call", async () => {
    const { hub, engine, open } = await setup();
    const { s } = await open("alice", "a");
    await hub.join(s, "b");
    await hub.join(s, "c");
    await hub.disconnect(s);
    expect(s.rooms).toEqual([]);
    for (const r of ["a", "b", "c"]) {
      expect(hub.localMembers(r)).toBe(0);
      expect((await engine.snapshot(r)).users).toEqual([]);
    }
    expect(await engine.lookupName("alice")).toBeNull();
    expect(hub.size).toBe(0);
  });

  it("refuses a taken name with 4409 and keeps the holder", async () => {
    const { open, engine } = await setup();
    const { s } = await open("alice");
    const { ws } = await open("Alice");
    expect(ws.closedWith).toBe(CloseCode.NameTaken);
    expect((await engine.lookupName("alice"))?.id).toBe(s.id);
  });

  it("of two renames to one name in the same tick, exactly one wins", async () => {
    const { hub, open } = await setup();
    const a = await open("a");
    const b = await open("b");
    await Promise.all([hub.rename(a.s, "carol"), hub.rename(b.s, "carol")]);
    expect([a.s.name, b.s.name].filter((n) => n === "carol")).toHaveLength(1);
  });

  it("evicts a session over the slow-consumer budget on sweep", async () => {
    const { hub, open } = await setup();
    const { ws } = await open("slow");
    ws.buffered = 10_000_000;
    hub.sweep(Date.now());
    expect(ws.closedWith).toBe(CloseCode.SlowConsumer);
  });

  it("drops a session silent past the idle timeout", async () => {
    const { hub, open } = await setup();
    const { s, ws } = await open("quiet");
    hub.sweep(s.lastSeenMs + 61_000);
    expect(ws.closedWith).toBe(CloseCode.Idle);
  });
});
