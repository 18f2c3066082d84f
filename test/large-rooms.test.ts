// Large rooms (presence-tiers.ts) over real sockets, on the memory engine and on two Redis nodes:
// past PRESENCE_LIST_MAX (4 here) members get counts instead of diffs, a joiner gets the count
// and a first page with itself in it, crossing back needs the count to fall below 90%, and
// `who` still pages every member, looks up one, and renames are announced without diffs.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Config } from "../src/config.ts";
import type { Engine } from "../src/engine/engine.ts";
import { LARGE_RENAMES_MAX, LargeRenames } from "../src/large-renames.ts";
import { largeFirstPage } from "../src/presence-tiers.ts";
import type { App } from "../src/server.ts";
import type { Member, ServerFrame } from "../src/shared/protocol.ts";
import { TestClient, startServer } from "./helpers.ts";
import { nextEvent, sdkClient } from "./sdk.ts";
import { clusterConfig, describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";

const TIERS: Partial<Config> = { presenceListMax: 4, largePresenceIntervalMs: 20, presenceIntervalMs: 5 };

type Nodes = App[] & AsyncDisposable;
const isLargeFrame = (f: ServerFrame) => f.type === "presence" && f.large === true;
const hasDiff = (f: ServerFrame) => f.type === "presence" && (f.joins.length > 0 || f.leaves.length > 0);

function largeRoomSuite(start: () => Promise<Nodes>): void {
  it("turns a room large past PRESENCE_LIST_MAX: members get counts, per-user diffs stop", async () => {
    await using nodes = await start();
    await using watcher = await TestClient.join(nodes[0]!, { name: "watcher", room: "hall" });
    const crowd = [];
    for (let i = 0; i < 4; i++) crowd.push(await TestClient.join(nodes[i % nodes.length]!, { name: `u${i}`, room: "hall" }));
    expect(await watcher.next(isLargeFrame)).toMatchObject({ room: "hall", count: 5, large: true, joins: [], leaves: [] });
    const late = await TestClient.join(nodes[nodes.length - 1]!, { name: "late", room: "hall" });
    const answer = late.all("users")[0]!;
    expect(answer).toMatchObject({ room: "hall", count: 6, large: true });
    expect(answer.users).toContainEqual({ id: late.id, name: "late" });
    expect(await watcher.next((f) => isLargeFrame(f) && f.type === "presence" && f.count === 6)).toMatchObject({ large: true });
    // After the crossing frame this member saw no per-user diff.
    const crossing = watcher.log.findIndex(isLargeFrame);
    expect(watcher.log.slice(crossing).filter(hasDiff)).toEqual([]);
    await Promise.all([...crowd, late].map((c) => c.close()));
  });

  it("turns small again only below 90% of the threshold, and then sends diffs again", async () => {
    await using nodes = await start();
    await using watcher = await TestClient.join(nodes[0]!, { name: "watcher", room: "hall" });
    const crowd = [];
    for (let i = 0; i < 5; i++) crowd.push(await TestClient.join(nodes[i % nodes.length]!, { name: `u${i}`, room: "hall" }));
    await watcher.next((f) => isLargeFrame(f) && f.type === "presence" && f.count === 6);
    await crowd.pop()!.close();
    await crowd.pop()!.close();
    // 4 is not above the threshold, but not below 3.6 either: still large.
    expect(await watcher.next((f) => f.type === "presence" && f.count === 4)).toMatchObject({ large: true });
    await crowd.pop()!.close();
    expect(await watcher.next((f) => f.type === "presence" && f.large === false)).toMatchObject({ count: 3, joins: [], leaves: [] });
    const back = await TestClient.join(nodes[nodes.length - 1]!, { name: "back", room: "hall" });
    expect(back.all("users")[0]!.large).toBeUndefined();
    expect(await watcher.next((f) => f.type === "presence" && f.joins.some((m) => m.id === back.id))).toMatchObject({ leaves: [] });
    await Promise.all([...crowd, back].map((c) => c.close()));
  });

  it("pages every member of a large room with who", async () => {
    await using nodes = await start();
    const all = [];
    for (let i = 0; i < 7; i++) all.push(await TestClient.join(nodes[i % nodes.length]!, { name: `p${i}`, room: "hall" }));
    const asker = all[0]!;
    await asker.next(isLargeFrame);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await asker.request({ type: "who", room: "hall", limit: 2, ...(after ? { after } : {}) })) as Extract<ServerFrame, { type: "users" }>;
      expect(page.count).toBe(7);
      seen.push(...page.users.map((u) => u.id));
      if (page.next === undefined) break;
      after = page.next;
    }
    expect(seen).toEqual(all.map((c) => c.id).sort((a, b) => (a < b ? -1 : 1)));
    await Promise.all(all.map((c) => c.close()));
  });

  it("looks up one user of a large room by id or by name, with the count, without paging", async () => {
    await using nodes = await start();
    const all = [];
    for (let i = 0; i < 6; i++) all.push(await TestClient.join(nodes[i % nodes.length]!, { name: `q${i}`, room: "hall" }));
    await using outside = await TestClient.join(nodes[0]!, { name: "outside", room: "porch" });
    const [asker, target] = [all[0]!, all[5]!];
    await asker.next(isLargeFrame);
    const byId = await asker.request({ type: "who", room: "hall", id: target.id });
    expect(byId).toMatchObject({ type: "users", room: "hall", count: 6, users: [{ id: target.id, name: "q5" }] });
    expect((byId as { next?: string }).next).toBeUndefined();
    // A name is compared on its key, as in the handshake.
    expect(await asker.request({ type: "who", room: "hall", name: "Q5" })).toMatchObject({ count: 6, users: [{ id: target.id, name: "q5" }] });
    expect(await asker.request({ type: "who", room: "hall", name: "outside" })).toMatchObject({ count: 6, users: [] });
    expect(await asker.request({ type: "who", room: "hall", name: "nobody" })).toMatchObject({ count: 6, users: [] });
    expect(await asker.request({ type: "who", room: "hall", id: outside.id })).toMatchObject({ count: 6, users: [] });
    expect(await asker.request({ type: "who", room: "hall", id: target.id, name: "q5" })).toMatchObject({ type: "error", code: "invalid_message" });
    expect(await outside.request({ type: "who", room: "hall", id: target.id })).toMatchObject({ type: "error", code: "not_in_room" });
    await Promise.all(all.map((c) => c.close()));
  });

  it("tells a large room of a rename with `renames`, not a diff, and `who` then reads the new name", async () => {
    await using nodes = await start();
    await using watcher = await TestClient.join(nodes[0]!, { name: "watcher", room: "hall" });
    const crowd = [];
    for (let i = 0; i < 5; i++) crowd.push(await TestClient.join(nodes[i % nodes.length]!, { name: `r${i}`, room: "hall" }));
    await watcher.next(isLargeFrame);
    const renamer = crowd[nodes.length > 1 ? 1 : 0]!;
    expect(await renamer.request({ type: "nick", name: "renamed" })).toMatchObject({ type: "identity", name: "renamed" });
    const told = await watcher.next((f) => f.type === "presence" && (f.renames ?? []).length > 0);
    expect(told).toEqual({ type: "presence", room: "hall", joins: [], leaves: [], renames: [{ id: renamer.id, name: "renamed" }] });
    expect(watcher.log.slice(watcher.log.findIndex(isLargeFrame)).filter(hasDiff)).toEqual([]);
    expect(await watcher.request({ type: "who", room: "hall", id: renamer.id })).toMatchObject({ users: [{ id: renamer.id, name: "renamed" }] });
    await Promise.all(crowd.map((c) => c.close()));
  });
}

describe("large rooms on the memory engine", () => {
  largeRoomSuite(async () => {
    const app = await startServer(TIERS);
    return Object.assign([app], { [Symbol.asyncDispose]: () => app.shutdown() });
  });
});

describeRedis("large rooms on two Redis nodes", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  largeRoomSuite(async () => {
    const prefix = uniquePrefix("large");
    const nodes = [await startServer(clusterConfig(redis, prefix, TIERS)), await startServer(clusterConfig(redis, prefix, TIERS))];
    return Object.assign(nodes, { [Symbol.asyncDispose]: async () => void (await Promise.all(nodes.map((n) => n.shutdown()))) });
  });
});

describe("the SDK in a large room", () => {
  it("keeps the first page and the count, does not page on, and reads the whole list again once the room is small", async () => {
    await using app = await startServer(TIERS);
    const crowd = [];
    for (let i = 0; i < 5; i++) crowd.push(await TestClient.join(app, { name: `c${i}`, room: "hall" }));
    await using sdk = await sdkClient(app, { name: "sdk", rooms: ["hall"] });
    expect(sdk.users("hall").some((u) => u.name === "sdk")).toBe(true);
    const grown = nextEvent(sdk, "roster", (e) => e.count === 7);
    await using more = await TestClient.join(app, { name: "more", room: "hall" });
    expect(await grown).toMatchObject({ room: "hall", count: 7, large: true });
    // Down to 2 (below 90% of 4): small again, and the SDK reads the full list anew.
    const small = nextEvent(sdk, "roster", (e) => !e.large && e.users.length === 2);
    await Promise.all([more, ...crowd.slice(0, 4)].map((c) => c.close()));
    expect((await small).users.map((u) => u.name).sort()).toEqual(["c4", "sdk"]);
    await crowd[4]!.close();
  });
});

describe("a large room's first page", () => {
  const members: Member[] = Array.from({ length: 150 }, (_, i) => ({ id: `m${String(i).padStart(3, "0")}`, name: `n${i}` }));
  // largeFirstPage takes the page's array over: each case reads a page of its own.
  const page = () => ({ count: 150, users: [...members], next: undefined });

  it("holds the first members by id when the joiner is among them", () => {
    const p = largeFirstPage(page(), members[5]!);
    expect(p.users).toEqual(members.slice(0, 100));
    expect(p).toMatchObject({ count: 150, next: "m099" });
  });

  it("puts the joiner in place of the last when it falls outside, and pages on from the ordered part", () => {
    const p = largeFirstPage(page(), members[140]!);
    expect(p.users).toHaveLength(100);
    expect(p.users.slice(0, 99)).toEqual(members.slice(0, 99));
    expect(p.users[99]).toEqual(members[140]);
    expect(p.next).toBe("m098");
  });

  it("has no cursor when nothing lies beyond", () => {
    const small = () => ({ count: 3, users: members.slice(0, 3) });
    expect(largeFirstPage(small(), members[1]!, 100)).toEqual({ count: 3, users: members.slice(0, 3) });
    expect(largeFirstPage(small(), members[2]!, 2)).toEqual({ count: 3, users: [members[0]!, members[2]!], next: "m000" });
  });
});

describe("a large room's rename announcements", () => {
  it("carry one entry per user, the newest name, at most LARGE_RENAMES_MAX a frame, the rest in the next", async () => {
    const frames: { room: string; renames: Member[] }[] = [];
    const engine = { broker: { signal: (room: string, data: string) => void frames.push({ room, renames: JSON.parse(data).renames }) } } as unknown as Engine;
    const renames = new LargeRenames(engine, 60_000);
    const m = (i: number, name: string): Member => ({ id: `u${i}`, name });
    for (let i = 0; i < LARGE_RENAMES_MAX + 20; i++) renames.add("hall", m(i, `a${i}`));
    renames.add("hall", m(0, "again"));
    renames.add("stage", m(7, "s7"));
    await renames.flush();
    expect(frames.map((f) => [f.room, f.renames.length])).toEqual([["hall", LARGE_RENAMES_MAX], ["stage", 1]]);
    expect(frames[0]!.renames[0]).toEqual(m(0, "again"));
    await renames.flush();
    expect(frames.slice(2)).toEqual([{ room: "hall", renames: Array.from({ length: 20 }, (_, k) => m(LARGE_RENAMES_MAX + k, `a${LARGE_RENAMES_MAX + k}`)) }]);
    renames.stop();
  });
});
