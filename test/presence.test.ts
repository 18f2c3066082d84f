import { describe, expect, it } from "bun:test";
import type { Member } from "../src/shared/protocol.ts";
import { TestClient, eventually, rawWebSocket, startServer } from "./helpers.ts";

/** Applies presence frames to a user list the way a client must (leaves before joins). */
function apply(list: Map<string, string>, joins: Member[], leaves: Member[]): void {
  for (const m of leaves) list.delete(m.id);
  for (const m of joins) list.set(m.id, m.name);
}

describe("presence", () => {
  it("tells the other members of joins, leaves and renames", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using a = await TestClient.join(app, { name: "alice", room: "den" });
    const b = await TestClient.join(app, { name: "bob", room: "den" });
    const joined = await a.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "bob"));
    expect(joined).toMatchObject({ room: "den", leaves: [] });
    expect((joined as { joins: Member[] }).joins).toContainEqual({ id: b.id, name: "bob" });
    // v2: a rename is a join with the same id and the new name, not a leave and a join.
    b.send({ type: "chat", text: "/nick robert" });
    expect(await a.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "robert"))).toMatchObject({ leaves: [], joins: [{ id: b.id, name: "robert" }] });
    await b.close();
    expect(await a.next((f) => f.type === "presence" && f.leaves.length > 0)).toMatchObject({ leaves: [{ id: b.id, name: "robert" }], joins: [] });
  });

  it("sends a leave when a member leaves the room but stays connected", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using a = await TestClient.join(app, { name: "alice", room: "den" });
    await using b = await TestClient.join(app, { name: "bob", room: "den" });
    b.send({ type: "leave", room: "den" });
    expect(await a.next((f) => f.type === "presence" && f.leaves.length > 0)).toMatchObject({ leaves: [{ id: b.id }] });
  });

  it("coalesces a storm of joins into a few frames per member, and every list converges", async () => {
    await using app = await startServer({ presenceIntervalMs: 100 });
    await using watcher = await TestClient.join(app, { name: "watcher", room: "storm" });
    const n = 60;
    const clients = await Promise.all(Array.from({ length: n }, (_, i) => TestClient.join(app, { name: `u${i}`, room: "storm" })));
    const expected = new Map<string, string>([[watcher.id, "watcher"], ...clients.map((c) => [c.id, c.name] as [string, string])]);
    // Each client's view: its snapshot plus the presence frames after it.
    const views = [watcher, ...clients].map((c) => {
      const snap = c.all("users")[0]!;
      return { c, list: new Map(snap.users.map((u) => [u.id, u.name])), seen: 0 };
    });
    await eventually(() => {
      for (const v of views) {
        const frames = v.c.all("presence");
        for (; v.seen < frames.length; v.seen++) apply(v.list, frames[v.seen]!.joins, frames[v.seen]!.leaves);
      }
      return views.every((v) => v.list.size === expected.size);
    }, 5000, "every user list to be complete");
    for (const v of views) expect(new Map([...v.list].sort())).toEqual(new Map([...expected].sort()));
    // 60 joins within a few intervals: the watcher got a handful of frames, not 60.
    expect(watcher.all("presence").length).toBeLessThan(15);
    await Promise.all(clients.map((c) => c.close()));
  });

  it("drops a peer that vanishes without a close frame within the idle timeout", async () => {
    await using app = await startServer({ idleTimeoutS: 1, presenceIntervalMs: 10 });
    await using a = await TestClient.join(app, { name: "alice", room: "den" });
    // A raw peer that completes the upgrade, then neither sends nor answers pings, while the
    // room stays busy (so Bun's own idle timer, re-armed by sends, would never fire).
    const ghost = await rawWebSocket(app.server.port!, "?name=ghost&room=den");
    ghost.socket.pause();
    await a.next((f) => f.type === "presence" && f.joins.some((m) => m.name === "ghost"));
    const started = Date.now();
    const busy = setInterval(() => a.send({ type: "chat", text: "still here" }), 100);
    try {
      const left = await a.next((f) => f.type === "presence" && f.leaves.some((m) => m.name === "ghost"), 4000);
      expect(left.type).toBe("presence");
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      clearInterval(busy);
      ghost.socket.destroy();
    }
  });

  it("keeps a quiet but live client that answers pings", async () => {
    await using app = await startServer({ idleTimeoutS: 1 });
    await using a = await TestClient.join(app, { name: "alice" });
    const closed = a.closed.then(() => "closed");
    // Bun's client answers protocol pings automatically; the server pings at half the timeout.
    expect(await Promise.race([closed, Bun.sleep(2500).then(() => "open")])).toBe("open");
    expect((await a.chat("still alive")).seq).toBe(1);
  });
});
