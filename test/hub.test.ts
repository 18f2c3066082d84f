// The Hub and the services with fake sockets: membership bookkeeping without any network.
import { describe, expect, it } from "bun:test";
import { CloseCode } from "../src/shared/codes.ts";
import { BACKLOG_GRACE_MS } from "../src/backpressure.ts";
import { fakeNode } from "./fakes.ts";

describe("Hub", () => {
  it("subscribes a session to its initial room (not to a topic of its own), both ways indexed", async () => {
    const { hub, open } = await fakeNode();
    const { s, ws } = await open("alice", "den");
    expect(ws.topics).toEqual(new Set(["r:den"]));
    expect(s.rooms).toEqual(["den"]);
    expect(hub.localMembers("den")).toBe(1);
    expect(ws.sent.map((f) => f.type)).toEqual(["welcome", "users"]);
  });

  it("removes a disconnected session from every room and frees its name in one call", async () => {
    const { hub, engine, services, open } = await fakeNode();
    const { s } = await open("alice", "a");
    await services.rooms.join(s, "b", {});
    await services.rooms.join(s, "c", {});
    await services.admission.disconnect(s);
    expect(s.rooms).toEqual([]);
    for (const r of ["a", "b", "c"]) {
      expect(hub.localMembers(r)).toBe(0);
      expect(engine.presence.page(r, undefined, 10).users).toEqual([]);
    }
    expect(engine.names.lookup("alice")).toBeNull();
    expect(hub.size).toBe(0);
  });

  it("refuses a taken name with 4409 and keeps the holder", async () => {
    const { open, engine } = await fakeNode();
    const { s } = await open("alice");
    const { ws } = await open("Alice");
    expect(ws.closedWith).toBe(CloseCode.NameTaken);
    expect(engine.names.lookup("alice")?.id).toBe(s.userId);
  });

  it("counts a user's tabs as one member: the room keeps the user until the last tab leaves", async () => {
    const { hub, engine, services, open } = await fakeNode();
    const first = await open("alice", "den");
    const resume = (first.ws.sent[0] as { resume: string }).resume;
    const second = await open(null, "den", { resume });
    expect(second.s.userId).toBe(first.s.userId);
    expect(second.s.name).toBe("alice");
    expect(engine.presence.page("den", undefined, 10).count).toBe(1);
    await services.rooms.leave(first.s, "den");
    expect(engine.presence.page("den", undefined, 10).users.map((u) => u.name)).toEqual(["alice"]);
    await services.admission.disconnect(second.s);
    expect(engine.presence.page("den", undefined, 10).count).toBe(0);
    expect(engine.names.lookup("alice")?.id).toBe(first.s.userId);
    await services.admission.disconnect(first.s);
    expect(engine.names.lookup("alice")).toBeNull();
    expect(hub.size).toBe(0);
  });

  it("takes a user out of a room from the server's side: every tab is told left, the room lists them no more", async () => {
    const { engine, services, open } = await fakeNode();
    const tab1 = await open("alice", "den");
    const resume = (tab1.ws.sent[0] as { resume: string }).resume;
    const tab2 = await open(null, "den", { resume });
    const bob = await open("bob", "den");
    await services.rooms.removeUser(tab1.s.userId, "den");
    for (const t of [tab1, tab2]) {
      expect(t.s.rooms).toEqual([]);
      expect(t.ws.topics.has("r:den")).toBe(false);
      expect(t.ws.sent.at(-1)).toEqual({ type: "left", room: "den" });
    }
    expect(engine.presence.page("den", undefined, 10).users.map((u) => u.name)).toEqual(["bob"]);
    expect(bob.s.rooms).toEqual(["den"]);
  });

  it("leaves a watched backlog alone while it drains, and evicts one that sits over budget past the grace", async () => {
    const { hub, open } = await fakeNode({ slowConsumerBytes: 1000 });
    const { s, ws } = await open("slow");
    const t0 = Date.now();
    // Bun queued a frame (-1) and the buffer is over budget: watched, not evicted.
    ws.buffered = 5000;
    ws.status = -1;
    s.send({ type: "pong" });
    expect(ws.closedWith).toBeNull();
    ws.buffered = 4000; // draining: a big reply being read
    hub.sweep(t0 + BACKLOG_GRACE_MS + 1);
    expect(ws.closedWith).toBeNull();
    hub.sweep(t0 + BACKLOG_GRACE_MS + 2); // stuck at 4000
    expect(ws.closedWith).toBe(CloseCode.SlowConsumer);
  });

  it("evicts at once a connection far over budget, or one whose frame Bun dropped", async () => {
    const { hub, open } = await fakeNode({ slowConsumerBytes: 1000 });
    const far = await open("far");
    far.ws.buffered = 10_000_000;
    far.ws.status = -1;
    far.s.send({ type: "pong" });
    expect(far.ws.closedWith).toBe(CloseCode.SlowConsumer);
    const dropped = await open("dropped");
    dropped.ws.status = 0;
    dropped.s.send({ type: "pong" });
    expect(dropped.ws.closedWith).toBe(CloseCode.SlowConsumer);
  });

  it("pings a session silent past half the idle timeout and drops it past the timeout", async () => {
    const { hub, open } = await fakeNode();
    const { s, ws } = await open("quiet");
    let pings = 0;
    ws.ping = () => ++pings;
    const t0 = s.lastSeenMs;
    hub.sweep(t0 + 29_000);
    expect(pings).toBe(0);
    hub.sweep(t0 + 31_000);
    expect(pings).toBe(1);
    expect(ws.closedWith).toBeNull();
    hub.sweep(t0 + 61_000);
    expect(ws.closedWith).toBe(CloseCode.Idle);
  });

  it("keeps a session that is heard from, looking at it about twice per idle timeout, not every sweep", async () => {
    const { hub, open } = await fakeNode();
    const { s, ws } = await open("chatty");
    const t0 = s.lastSeenMs;
    // Each look at it moves it to another slot of the wheel: count those.
    let checks = 0;
    for (let t = t0; t <= t0 + 120_000; t += 100) {
      if (t % 10_000 < 100) s.touch(t); // heard from every 10 s
      const before = s.idleSlot;
      hub.sweep(t);
      if (s.idleSlot !== before) checks++;
    }
    expect(ws.closedWith).toBeNull();
    expect(checks).toBeLessThanOrEqual(6);
  });
});
