// Room epochs, honest recovery and paged replies: a client that resumes with {since, epoch}
// gets exactly what it missed (`recovered: true`), or the newest page and `recovered: false` —
// never a silent gap, never old seqs presented as new.
import { describe, expect, it } from "bun:test";
import { ErrorCode } from "../src/shared/codes.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { startServer, TestClient } from "./helpers.ts";

type History = Extract<ServerFrame, { type: "history" }>;
type Users = Extract<ServerFrame, { type: "users" }>;

describe("recovery with since and epoch", () => {
  it("replays exactly the missed messages on connect and on join, marked recovered", async () => {
    await using app = await startServer({ historySize: 50, rateLimit: 100 });
    await using a = await TestClient.join(app, { name: "alice", room: "log" });
    for (let i = 1; i <= 8; i++) await a.chat(`m${i}`);
    await using b = await TestClient.connect(app, { room: "log", since: "5", epoch: a.epoch });
    await b.next("welcome");
    const replay = await b.next("history");
    expect(replay).toMatchObject({ room: "log", epoch: a.epoch, recovered: true });
    expect(replay.messages.map((m) => ("text" in m ? m.text : ""))).toEqual(["m6", "m7", "m8"]);
    expect(replay.more).toBeUndefined();
    expect(await b.next("users")).toMatchObject({ room: "log", seq: 8, epoch: a.epoch });
    // On a join: history first, then the users frame with the ref.
    await a.chat("other room's first", undefined);
    const ref = "j1";
    b.send({ type: "join", room: "log2", since: 0, ref });
    const h = await b.next("history");
    expect(h).toMatchObject({ room: "log2", recovered: true, messages: [] });
    expect(await b.next("users")).toMatchObject({ room: "log2", ref });
  });

  it("says recovered: false, with the newest page, when the epoch differs, the gap fell out of history, or since is ahead", async () => {
    await using app = await startServer({ historySize: 5, rateLimit: 100 });
    await using a = await TestClient.join(app, { name: "alice", room: "log" });
    for (let i = 1; i <= 8; i++) await a.chat(`m${i}`);
    const cases: [string, Record<string, unknown>][] = [
      ["another epoch", { since: 7, epoch: "not-this-one" }],
      ["fell out of history", { since: 1, epoch: a.epoch }],
      ["ahead of the room", { since: 99, epoch: a.epoch }],
      ["since without epoch", { since: 7 }],
    ];
    for (const [why, resume] of cases) {
      const h = (await a.request({ type: "join", room: "log", ...resume, ref: undefined })) as Users;
      const replay = a.all("history").at(-1)!;
      expect(replay, why).toMatchObject({ room: "log", recovered: false });
      expect(replay.messages.map((m) => m.seq), why).toEqual([4, 5, 6, 7, 8]);
      expect(h.type).toBe("users");
    }
  });

  it("gives a restarted server's rooms a new epoch, so old seqs are never taken as new", async () => {
    let epoch: string;
    {
      await using app = await startServer();
      await using a = await TestClient.join(app, { room: "den" });
      await a.chat("before the restart");
      epoch = a.epoch;
    }
    await using app = await startServer();
    await using a = await TestClient.join(app, { room: "den" });
    expect(a.epoch).not.toBe(epoch);
    await using b = await TestClient.connect(app, { room: "den", since: "1", epoch });
    expect(await b.next("history")).toMatchObject({ recovered: false, messages: [] });
  });

  it("pages a long replay: recovered with more, then history {after} to the end", async () => {
    await using app = await startServer({ historySize: 500, rateLimit: 10_000 });
    await using a = await TestClient.join(app, { name: "alice", room: "big" });
    for (let i = 1; i <= 450; i++) a.send({ type: "chat", text: `m${i}` });
    await a.sync();
    await using b = await TestClient.connect(app, { room: "big", since: "0", epoch: a.epoch });
    const first = await b.next("history");
    expect(first).toMatchObject({ recovered: true, more: true });
    const seqs = first.messages.map((m) => m.seq);
    for (;;) {
      const page = (await b.request({ type: "history", room: "big", after: seqs.at(-1) })) as History;
      seqs.push(...page.messages.map((m) => m.seq));
      if (!page.more) break;
    }
    expect(seqs).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
  });
});

describe("paged history", () => {
  it("pages back with before, newest page first, messages ascending, more at each edge", async () => {
    await using app = await startServer({ historySize: 100, rateLimit: 1000 });
    await using a = await TestClient.join(app, { room: "p" });
    for (let i = 1; i <= 12; i++) a.send({ type: "chat", text: `m${i}` });
    await a.sync();
    const newest = (await a.request({ type: "history", room: "p", limit: 5 })) as History;
    expect(newest.messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(newest).toMatchObject({ more: true, epoch: a.epoch });
    const older = (await a.request({ type: "history", room: "p", before: 8, limit: 5 })) as History;
    expect(older.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7]);
    const oldest = (await a.request({ type: "history", room: "p", before: 3, limit: 5 })) as History;
    expect(oldest.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(oldest.more).toBeUndefined();
    const after = (await a.request({ type: "history", room: "p", after: 10 })) as History;
    expect(after.messages.map((m) => m.seq)).toEqual([11, 12]);
    expect(after.more).toBeUndefined();
    const dflt = (await a.request({ type: "history", room: "p" })) as History;
    expect(dflt.messages).toHaveLength(12);
  });

  it("refuses bad paging fields with invalid_message", async () => {
    await using app = await startServer();
    await using a = await TestClient.join(app);
    for (const bad of [{ limit: 0 }, { limit: 201 }, { before: -1 }, { after: 1.5 }, { before: 2, after: 1 }]) {
      expect(await a.request({ type: "history", room: "lobby", ...bad })).toMatchObject({ type: "error", code: ErrorCode.InvalidMessage });
    }
  });
});

describe("paged who", () => {
  it("pages the member list by id with a cursor, with the count of all members", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    const clients = await Promise.all(Array.from({ length: 7 }, (_, i) => TestClient.join(app, { name: `u${i}`, room: "crowd" })));
    try {
      const c = clients[0]!;
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await c.request({ type: "who", room: "crowd", limit: 3, ...(after ? { after } : {}) })) as Users;
        expect(page.count).toBe(7);
        expect(page.users.length).toBeLessThanOrEqual(3);
        ids.push(...page.users.map((u) => u.id));
        if (page.next === undefined) break;
        after = page.next;
      }
      expect(ids).toEqual(clients.map((x) => x.id).sort());
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
