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
    const { ws } = await open("slow");
    const t0 = Date.now();
    ws.buffered = 5000;
    hub.sweep(t0);
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
    hub.sweep(Date.now());
    expect(far.ws.closedWith).toBe(CloseCode.SlowConsumer);
    const dropped = await open("dropped");
    dropped.ws.status = 0;
    dropped.s.send({ type: "pong" });
    expect(dropped.ws.closedWith).toBe(CloseCode.SlowConsumer);
  });

  it("drops a session silent past the idle timeout", async () => {
    const { hub, open } = await fakeNode();
    const { s, ws } = await open("quiet");
    hub.sweep(s.lastSeenMs + 61_000);
    expect(ws.closedWith).toBe(CloseCode.Idle);
  });
});
