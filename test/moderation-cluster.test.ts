// Rooms that belong to someone on a cluster of two nodes sharing a real redis-server: a change
// made on one node is enforced on the other at once (each node caches states, kept current by
// the control channel), removals reach every node's connections, slowmode's clock is Redis's,
// and two first joins on two nodes make one owner.
import { expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import type { App } from "../src/server.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, startServer, type Joined } from "./helpers.ts";
import { clusterConfig, describeRedis, redisPerFile, uniquePrefix } from "./redis.ts";

const SECRET = "a-moderation-cluster-secret-long-enough-03";

describeRedis("rooms with owners on a cluster", () => {
  const r = redisPerFile();

  async function pair(): Promise<[App, App] & AsyncDisposable> {
    const prefix = uniquePrefix("mod");
    const start = () => startServer(clusterConfig(r.redis, prefix, { authSecret: SECRET, apiKey: [API_KEY] }));
    const nodes: [App, App] = [await start(), await start()];
    return Object.assign(nodes, { [Symbol.asyncDispose]: async () => void (await Promise.all(nodes.map((n) => n.shutdown()))) });
  }
  /** A token user (the same id on every node) connected to `node`, in `room`. */
  const user = async (node: App, sub: string, room = "den"): Promise<TestClient & Joined> => TestClient.join(node, { token: await mintToken(SECRET, sub, sub, 60), room });

  it("a ban on node A takes the user's connections on node B out of the room within a second, and keeps them out", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using alice = await user(a, "alice");
    await using onA = await user(a, "mallory");
    await using onB = await user(b, "mallory");
    await using bob = await user(b, "bob");
    expect(await alice.request({ type: "ban", room: "den", user: "mallory", reason: "spam" })).toMatchObject({ type: "ok" });
    const left = { type: "left", room: "den", reason: "banned", by: { id: "alice", name: "alice" } } as const;
    expect(await onB.next("left", 1000)).toEqual(left);
    expect(await onA.next("left", 1000)).toEqual(left);
    await bob.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === "mallory"));
    expect(await onB.request({ type: "join", room: "den" })).toMatchObject({ code: ErrorCode.Banned });
    expect(await onB.request({ type: "chat", room: "den", text: "let me in" })).toMatchObject({ code: ErrorCode.NotInRoom });
    // The server API on B does the same to a user on A, and speaks as system.
    expect((await api(b, "POST", "/rooms/den/kick", { user: "bob" })).status).toBe(200);
    expect(await bob.next("left", 1000)).toMatchObject({ reason: "kicked", by: { id: "~system" } });
  });

  it("a room made private on node A refuses a stranger on node B, whose node had cached it public, and admits the invited there", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using alice = await user(a, "alice", "vault");
    // Node B reads (and caches) the room while it is public.
    await using eve = await user(b, "eve", "vault");
    expect(await eve.request({ type: "leave", room: "vault" })).toMatchObject({ type: "left" });
    await using bob = await user(b, "bob", "lobby");
    expect(await alice.request({ type: "mode", room: "vault", visibility: "private" })).toMatchObject({ type: "ok" });
    expect(await eve.request({ type: "join", room: "vault" })).toEqual({ type: "error", code: ErrorCode.Forbidden, message: "you may not join room vault", ref: expect.any(String) });
    expect(await bob.request({ type: "join", room: "vault" })).toMatchObject({ code: ErrorCode.Forbidden });
    expect(await alice.request({ type: "invite", room: "vault", user: "bob" })).toMatchObject({ type: "ok" });
    expect(await bob.next("notice", 1000)).toMatchObject({ room: "vault", text: "alice invited you to room vault" });
    expect(await bob.request({ type: "join", room: "vault" })).toMatchObject({ type: "users", visibility: "private" });
    // Node B's listing leaves it out, as A's does.
    expect(await eve.request({ type: "list" })).toMatchObject({ rooms: [{ room: "lobby" }] });
  });

  it("a mute on node A is enforced on node B, and so is lifting it", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using alice = await user(a, "alice");
    await using bob = await user(b, "bob");
    expect(await bob.request({ type: "chat", room: "den", text: "before" })).toMatchObject({ type: "ack" });
    expect(await alice.request({ type: "mute", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "chat", room: "den", text: "during" })).toMatchObject({ code: ErrorCode.Muted });
    expect(await alice.request({ type: "unmute", room: "den", user: "bob" })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "chat", room: "den", text: "after" })).toMatchObject({ type: "ack" });
    expect(await alice.request({ type: "mode", room: "den", moderated: true })).toMatchObject({ type: "ok" });
    expect(await bob.request({ type: "chat", room: "den", text: "moderated" })).toMatchObject({ code: ErrorCode.Forbidden });
  });

  it("slowmode counts a member's posts on every node together", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    await using alice = await user(a, "alice");
    await using bobA = await user(a, "bob");
    await using bobB = await user(b, "bob");
    expect(await alice.request({ type: "mode", room: "den", slowmode: 60 })).toMatchObject({ type: "ok" });
    expect(await bobA.request({ type: "chat", room: "den", text: "one" })).toMatchObject({ type: "ack" });
    const slow = await bobB.request({ type: "chat", room: "den", text: "two, from the other node" });
    expect(slow).toMatchObject({ type: "error", code: ErrorCode.SlowMode });
    expect((slow as { message: string }).message).toMatch(/you may post again in (60|59) seconds/);
    expect(await alice.request({ type: "chat", room: "den", text: "owners are not slowed" })).toMatchObject({ type: "ack" });
  });

  it("a node that read a room before it had a state sees the state another node made", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    expect((await api(a, "GET", "/rooms/fresh")).body.owner).toBeNull();
    await using bob = await user(b, "bob", "fresh");
    // A room's first join makes its state without telling other nodes: a miss must not be cached.
    expect((await api(a, "GET", "/rooms/fresh")).body.owner).toBe("bob");
    await using carol = await user(a, "carol", "fresh");
    expect(carol.log.find((f) => f.type === "users")).toMatchObject({ roles: { bob: "owner" } });
  });

  it("two first joins of a new room on two nodes at once make exactly one owner", async () => {
    await using nodes = await pair();
    const [a, b] = nodes;
    for (let i = 0; i < 8; i++) {
      const room = `race-${i}`;
      const [x, y] = await Promise.all([user(a, `x${i}`, room), user(b, `y${i}`, room)]);
      const owners = [x, y].map((c) => c.log.find((f) => f.type === "users")).map((u) => (u as { role?: string }).role);
      expect(owners.filter((o) => o === "owner")).toHaveLength(1);
      const state = (await api(a, "GET", `/rooms/${room}`)).body;
      expect(state.owner).toBe(owners[0] === "owner" ? x.id : y.id);
      // Both nodes agree on who it is.
      for (const c of [x, y]) expect(await c.request({ type: "who", room })).toMatchObject({ roles: { [state.owner]: "owner" } });
      await Promise.all([x.close(), y.close()]);
    }
  });
});
