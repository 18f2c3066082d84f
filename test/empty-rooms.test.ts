// A room that never had a message is forgotten with its last member, by the Hub and by the
// memory engine: joining and leaving made-up rooms costs nothing lasting. A room that had a
// message keeps its seq (and history) for the life of the process, so its numbering never
// restarts within an epoch.
import { describe, expect, it } from "bun:test";
import { MemoryEngine } from "../src/engine/memory.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";
import { TestClient, eventually, startServer } from "./helpers.ts";
import { fakeNode } from "./fakes.ts";

describe("empty rooms", () => {
  it("keeps nothing for 100,000 rooms joined and left in process", async () => {
    const { hub, engine, services, open } = await fakeNode();
    const { s, ws } = await open("churner", "home");
    const pairs = 100_000;
    for (let i = 0; i < pairs; i++) {
      await services.rooms.join(s, `x${i}`, {});
      await services.rooms.leave(s, `x${i}`);
      if (i % 1000 === 999) {
        expect(ws.sent.filter((f) => f.type === "error")).toEqual([]);
        ws.sent = [];
      }
    }
    hub.flushPresence();
    expect(s.rooms).toEqual(["home"]);
    expect(engine.roomCount).toEqual({ streams: 0, presence: 1, states: 1 });
    expect(hub.roomCount).toBe(1);
    await services.admission.disconnect(s);
    expect(engine.roomCount).toEqual({ streams: 0, presence: 0, states: 0 });
    expect(hub.roomCount).toBe(0);
    expect(ws.topics).toEqual(new Set());
  }, 20_000);

  it("keeps a room that had a message: its seq goes on after everyone left", async () => {
    const { hub, engine, services, open } = await fakeNode();
    const { s } = await open("talker", "home");
    await services.rooms.join(s, "kept", {});
    await services.messages.say(s, "kept", "text", "first", undefined, undefined);
    await services.rooms.leave(s, "kept");
    expect(engine.roomCount).toEqual({ streams: 1, presence: 1, states: 2 });
    expect(hub.roomCount).toBe(1);
    expect(engine.history.position("kept").seq).toBe(1);
    await services.rooms.join(s, "kept", {});
    await services.messages.say(s, "kept", "text", "second", undefined, "r2");
    expect((await engine.history.page("kept", { limit: 10 })).messages.map((m) => [m.seq, (m as MessageFrame).text])).toEqual([[1, "first"], [2, "second"]]);
  });

  it("keeps nothing for rooms joined and left over a socket", async () => {
    const engine = new MemoryEngine({ historySize: 10 });
    await using app = await startServer({ joinRateLimit: 1_000_000 }, { engine });
    const c = await TestClient.join(app, { name: "churner" });
    const pairs = 2000;
    for (let i = 0; i < pairs; i++) {
      c.send({ type: "join", room: `x${i}`, ref: `j${i}` });
      c.send({ type: "leave", room: `x${i}`, ref: `l${i}` });
    }
    await c.next((f) => f.type === "left" && f.ref === `l${pairs - 1}`, 10_000);
    expect(c.all("error")).toEqual([]);
    expect(c.all("left").length).toBe(pairs);
    expect(engine.roomCount).toEqual({ streams: 0, presence: 1, states: 1 });
    expect(app.hub.roomCount).toBe(1);
    await c.close();
    await eventually(() => app.hub.size === 0, 3000, "the disconnect");
    expect(engine.roomCount).toEqual({ streams: 0, presence: 0, states: 0 });
    expect(app.hub.roomCount).toBe(0);
  });
});
