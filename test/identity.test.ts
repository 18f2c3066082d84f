// Who a connection is, in v2: `conn` is new on every connection; `id` is the user's and stays.
// A guest's resume token brings back the same id and name after a reconnect or in another tab;
// several tabs are one user (one entry in every list), and what reaches a user reaches them all.
import { describe, expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import { createResumeTokens, RESUME_TTL_MS } from "../src/identity.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import { startServer, TestClient, userView } from "./helpers.ts";

const GUEST_SECRET = "g".repeat(40);

describe("guest identity", () => {
  it("a resume token brings back the same user id and name on a new connection", async () => {
    await using app = await startServer({ guestSecret: GUEST_SECRET });
    const first = await TestClient.join(app, { name: "alice" });
    expect(first.conn).toBe(first.id); // a new guest's user id is its first connection's
    expect(first.resume).toBeString();
    await first.close();
    await using again = await TestClient.join(app, { resume: first.resume! });
    expect(again.id).toBe(first.id);
    expect(again.name).toBe("alice");
    expect(again.conn).not.toBe(first.conn);
  });

  it("survives a restart of the server when the secret is kept", async () => {
    let resume: string;
    let id: string;
    {
      await using app = await startServer({ guestSecret: GUEST_SECRET });
      await using c = await TestClient.join(app);
      resume = c.resume!;
      id = c.id;
    }
    await using app = await startServer({ guestSecret: GUEST_SECRET });
    await using c = await TestClient.join(app, { resume });
    expect(c.id).toBe(id);
  });

  it("ignores a forged, tampered, stale or malformed token: a fresh guest, never a refusal", async () => {
    await using app = await startServer({ guestSecret: GUEST_SECRET });
    await using victim = await TestClient.join(app, { name: "victim" });
    const forged = createResumeTokens("x".repeat(40)).issue({ id: victim.id, name: "victim" });
    const stale = createResumeTokens(GUEST_SECRET).issue({ id: victim.id, name: "victim" }, Date.now() - RESUME_TTL_MS - 1000);
    const [payload, mac] = victim.resume!.split(".");
    const tampered = `${Buffer.from(JSON.stringify({ v: 1, id: "someone-else", name: "victim", iat: Date.now() })).toString("base64url")}.${mac}`;
    for (const resume of [forged, stale, tampered, `${payload}`, "not-a-token", "a.b.c", "x".repeat(5000)]) {
      await using c = await TestClient.join(app, { resume });
      expect(c.id).not.toBe(victim.id);
      expect(c.name).toStartWith("guest-");
    }
  });

  it("a returning guest whose name was taken meanwhile comes back with its id and a guest name", async () => {
    await using app = await startServer({ guestSecret: GUEST_SECRET });
    const first = await TestClient.join(app, { name: "alice" });
    await first.close();
    await using thief = await TestClient.join(app, { name: "alice" });
    const back = await TestClient.join(app, { resume: first.resume! });
    expect(back.id).toBe(first.id);
    expect(back.name).toStartWith("guest-");
    await back.close();
    // Asking for the taken name explicitly is refused as always.
    const asked = await TestClient.connect(app, { resume: first.resume!, name: "alice" });
    await asked.error(ErrorCode.NameTaken);
    expect((await asked.closed).code).toBe(4409);
  });

  it("two tabs with one resume token are one user: one entry in the list, until the last tab goes", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using watcher = await TestClient.join(app, { name: "watcher", room: "den" });
    const tab1 = await TestClient.join(app, { name: "alice", room: "den" });
    const tab2 = await TestClient.join(app, { resume: tab1.resume!, room: "den" });
    expect(tab2.id).toBe(tab1.id);
    const who = await watcher.request({ type: "who", room: "den" });
    expect(who).toMatchObject({ type: "users", count: 2 });
    await tab1.close();
    await watcher.sync();
    expect((await watcher.request({ type: "who", room: "den" })) as { count: number }).toMatchObject({ count: 2 });
    await tab2.close();
    await watcher.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === tab1.id));
    expect([...userView(watcher, "den").values()]).toEqual(["watcher"]);
  });

  it("a rename in one tab renames the user in every tab and every room", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using watcher = await TestClient.join(app, { name: "watcher", room: "b" });
    await using tab1 = await TestClient.join(app, { name: "alice", room: "a" });
    await using tab2 = await TestClient.join(app, { resume: tab1.resume!, room: "b" });
    expect(await tab1.request({ type: "nick", name: "alicia" })).toMatchObject({ type: "identity", id: tab1.id, name: "alicia" });
    const told = await tab2.next("identity");
    expect(told).toMatchObject({ id: tab1.id, name: "alicia" });
    expect(told.resume).toBeString();
    await watcher.next((f) => f.type === "presence" && f.joins.some((m) => m.id === tab1.id && m.name === "alicia"));
    expect((await tab2.chat("from tab 2")).seq).toBe(1);
    expect((await watcher.next("message")).from).toEqual({ id: tab1.id, name: "alicia" });
    // The old name is free, the new one taken.
    const other = await TestClient.connect(app, { name: "ALICIA" });
    await other.error(ErrorCode.NameTaken);
    await using alice = await TestClient.join(app, { name: "alice" });
    expect(alice.id).not.toBe(tab1.id);
  });
});

describe("token identity", () => {
  const SECRET = "s".repeat(40);
  it("welcome carries the token's sub as the user id and a new conn per connection, and no resume token", async () => {
    await using app = await startServer({ authSecret: SECRET });
    const token = await mintToken(SECRET, "user-7", "seven", 60);
    await using a = await TestClient.join(app, { token });
    await using b = await TestClient.join(app, { token });
    expect([a.id, b.id]).toEqual(["user-7", "user-7"]);
    expect(a.conn).not.toBe(b.conn);
    expect(a.resume).toBeUndefined();
  });
});

describe("direct messages reach every connection of a user", () => {
  it("the recipient's tabs all get it; the sender's other tabs get their copy; the sending tab gets the one with its ref", async () => {
    await using app = await startServer();
    await using a1 = await TestClient.join(app, { name: "alice" });
    await using a2 = await TestClient.join(app, { resume: a1.resume! });
    await using b1 = await TestClient.join(app, { name: "bob" });
    await using b2 = await TestClient.join(app, { resume: b1.resume! });
    const mine = await a1.request({ type: "direct", to: "bob", text: "psst" });
    expect(mine).toMatchObject({ type: "direct", text: "psst", from: { id: a1.id }, to: { id: b1.id } });
    for (const c of [a2, b1, b2]) expect(await c.next("direct")).toMatchObject({ id: (mine as { id: string }).id, text: "psst" });
    for (const c of [a1, a2, b1, b2]) {
      await c.sync();
      expect(c.all("direct")).toHaveLength(1);
    }
  });

  it("a message to oneself reaches each of one's tabs once", async () => {
    await using app = await startServer();
    await using a1 = await TestClient.join(app, { name: "alice" });
    await using a2 = await TestClient.join(app, { resume: a1.resume! });
    await a1.request({ type: "direct", to: "alice", text: "note" });
    await a2.next("direct");
    for (const c of [a1, a2]) {
      await c.sync();
      expect(c.all("direct")).toHaveLength(1);
    }
  });
});
