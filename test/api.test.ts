// The server API over real HTTP against a real server (memory engine): every endpoint, the key,
// the error shape and status of each bad input, and the OpenAPI document.
import { describe, expect, it } from "bun:test";
import { mintToken } from "../src/auth.ts";
import client from "prom-client";
import { defaultConfig } from "../src/config.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { API_PREFIX, ROUTES, createApi } from "../src/http/api/index.ts";
import { Hub } from "../src/hub.ts";
import { silentLogger } from "../src/log.ts";
import { createServices } from "../src/services.ts";
import { MAX_BODY_BYTES } from "../src/http/api/errors.ts";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { TestClient, memoryLogger, startServer } from "./helpers.ts";
import { API_KEY, OTHER_KEY, api } from "./api-helpers.ts";

const SECRET = "an-auth-secret-that-is-long-enough-0001";
const withApi = (overrides = {}) => startServer({ apiKey: [API_KEY, OTHER_KEY], ...overrides });

describe("server API: access", () => {
  it("is off without API_KEY: 404 in the one error shape", async () => {
    await using app = await startServer();
    const r = await api(app, "GET", "/rooms");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "not_found", message: "the server API is off: set API_KEY to turn it on" } });
  });

  it("refuses a missing, malformed or wrong key with 401, and logs why without the key", async () => {
    const log = memoryLogger();
    await using app = await withApi({}, );
    await using logged = await startServer({ apiKey: [API_KEY] }, { log });
    const attempts = [[null, {}], ["not-the-key-but-long-enough-0123456789", {}], [null, { authorization: `Basic ${API_KEY}` }]] as const;
    for (let i = 0; i < 10; i++) {
      for (const [key, headers] of attempts) {
        const r = await api(logged, "GET", "/rooms", undefined, { key, headers });
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe(ErrorCode.Unauthorized);
        expect(r.headers.get("www-authenticate")).toStartWith("Bearer");
      }
    }
    const lines = log.lines.filter((l) => l.msg === "api request unauthorized");
    // Throttled (one line a second): 30 failures do not make 30 lines.
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThan(30);
    expect(["missing", "wrong", "malformed"]).toContain(lines[0]!.reason as string);
    expect(JSON.stringify(log.lines)).not.toContain("not-the-key");
    expect(JSON.stringify(log.lines)).not.toContain(API_KEY);
    // Both keys of a rotation work.
    expect((await api(app, "GET", "/rooms")).status).toBe(200);
    expect((await api(app, "GET", "/rooms", undefined, { key: OTHER_KEY })).status).toBe(200);
  });

  it("answers 429 with Retry-After past API_RATE_LIMIT for a key", async () => {
    await using app = await withApi({ apiRateLimit: 1 });
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(await api(app, "GET", "/rooms"));
    // A burst of 2 passes; at 1 a second the rest of a quick run of 10 cannot all pass.
    expect(replies.slice(0, 2).map((r) => r.status)).toEqual([200, 200]);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.body.error.code).toBe(ErrorCode.RateLimited);
    expect(limited.headers.get("retry-after")).toBe("1");
    // The other key of a rotation has its own budget.
    expect((await api(app, "GET", "/rooms", undefined, { key: OTHER_KEY })).status).toBe(200);
  });

  it("serves an OpenAPI 3.1 document that has every route, and only those", async () => {
    await using app = await withApi();
    const r = await api(app, "GET", "/openapi.json", undefined, { key: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    const documented = Object.entries(r.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${API_PREFIX}${route.path}`).sort());
    for (const route of ROUTES) {
      const op = r.body.paths[`${API_PREFIX}${route.path}`][route.method.toLowerCase()];
      expect(op.responses[String(route.ok.status)]).toBeDefined();
      if (route.body) expect(op.requestBody.content["application/json"].schema.type).toBe("object");
      // The router knows it: a request to it is never "no such route" (a missing message's
      // not_found, from the route itself, is fine).
      const path = route.path.replace("{room}", "den").replace("{id}", "nobody");
      const reply = await api(app, route.method, path, route.method === "POST" ? {} : undefined);
      expect(String(reply.body?.error?.message ?? "")).not.toStartWith("no route");
    }
  });

  it("answers an unknown route 404 and a known one with the wrong method 405 with Allow", async () => {
    await using app = await withApi();
    const missing = await api(app, "GET", "/nothing/here");
    expect([missing.status, missing.body.error.code]).toEqual([404, "not_found"]);
    const wrong = await api(app, "DELETE", "/rooms/den/messages");
    expect([wrong.status, wrong.body.error.code, wrong.headers.get("allow")]).toEqual([405, "method_not_allowed", "POST, GET"]);
  });
});

describe("server API: rooms", () => {
  it("publishes into a room from `system`: members see it live, it is in history, and the id is no user's", async () => {
    await using app = await withApi();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    const r = await api(app, "POST", "/rooms/den/messages", { text: "deploy finished" });
    expect(r.status).toBe(201);
    const live = await alice.next("message");
    expect(live).toMatchObject({ room: "den", seq: 1, from: { id: "~system", name: "system" }, kind: "text", text: "deploy finished" });
    expect(r.body).toEqual({ room: "den", seq: 1, id: live.id, ts: live.ts, duplicate: false });
    const page = await api(app, "GET", "/rooms/den/messages");
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ room: "den", seq: 1, more: false });
    expect(page.body.messages).toEqual([live]);
    // A room name is normalised as in the protocol.
    expect((await api(app, "POST", "/rooms/DEN/messages", { text: "again", kind: "action" })).body.room).toBe("den");
    expect(await alice.next("message")).toMatchObject({ kind: "action", text: "again" });
  });

  it("makes a post with a cid idempotent: a retry answers 200 with the original and publishes nothing", async () => {
    await using app = await withApi();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    const first = await api(app, "POST", "/rooms/den/messages", { text: "once", cid: "job-42" });
    const retry = await api(app, "POST", "/rooms/den/messages", { text: "once", cid: "job-42" });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ...first.body, duplicate: true });
    await alice.sync();
    expect(alice.all("message")).toHaveLength(1);
  });

  it("speaks as a named server identity that no user can take, and refuses a name a user holds (409)", async () => {
    await using app = await withApi();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    const bot = await api(app, "POST", "/rooms/den/messages", { text: "beep", from: { name: "deploy-bot" } });
    expect(bot.status).toBe(201);
    expect(await alice.next("message")).toMatchObject({ from: { id: "~deploy-bot", name: "deploy-bot" } });
    const imitator = await TestClient.connect(app, { name: "Deploy-Bot" });
    expect((await imitator.error(ErrorCode.NameTaken)).type).toBe("error");
    expect((await imitator.closed).code).toBe(CloseCode.NameTaken);
    const taken = await api(app, "POST", "/rooms/den/messages", { text: "i am alice", from: { name: "ALICE" } });
    expect([taken.status, taken.body.error.code]).toEqual([409, ErrorCode.NameTaken]);
    const reserved = await api(app, "POST", "/rooms/den/messages", { text: "hello", from: { name: "admin" } });
    expect(reserved.status).toBe(201);
    const bad = await api(app, "POST", "/rooms/den/messages", { text: "x", from: { name: "no spaces allowed" } });
    expect([bad.status, bad.body.error.code]).toEqual([400, ErrorCode.InvalidName]);
  });

  it("pages history with before, after and limit, as the protocol does", async () => {
    await using app = await withApi();
    for (let i = 1; i <= 5; i++) await api(app, "POST", "/rooms/log/messages", { text: `m${i}` });
    const seqs = async (q: string) => {
      const r = await api(app, "GET", `/rooms/log/messages${q}`);
      expect(r.status).toBe(200);
      return [r.body.messages.map((m: { seq: number }) => m.seq), r.body.more];
    };
    expect(await seqs("?limit=2")).toEqual([[4, 5], true]);
    expect(await seqs("?before=4&limit=2")).toEqual([[2, 3], true]);
    expect(await seqs("?after=3")).toEqual([[4, 5], false]);
    expect(await seqs("")).toEqual([[1, 2, 3, 4, 5], false]);
    expect((await api(app, "GET", "/rooms/never-used/messages")).body).toMatchObject({ seq: 0, messages: [], more: false });
    for (const q of ["?before=1&after=2", "?limit=0", "?limit=201", "?after=-1", "?before=x"]) {
      const r = await api(app, "GET", `/rooms/log/messages${q}`);
      expect([q, r.status, r.body.error.code]).toEqual([q, 400, ErrorCode.InvalidMessage]);
    }
  });

  it("lists a room's members with their count, paged, and the rooms that have members", async () => {
    await using app = await withApi();
    const clients = await Promise.all(["ann", "bob", "cat"].map((name) => TestClient.join(app, { name, room: "den" })));
    await using _zed = await TestClient.join(app, { name: "zed", room: "yard" });
    const all = await api(app, "GET", "/rooms/den/members");
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(3);
    expect(all.body.users.map((u: { name: string }) => u.name).sort()).toEqual(["ann", "bob", "cat"]);
    const first = await api(app, "GET", "/rooms/den/members?limit=2");
    expect(first.body.users).toHaveLength(2);
    const rest = await api(app, "GET", `/rooms/den/members?limit=2&after=${first.body.next}`);
    expect([...first.body.users, ...rest.body.users]).toEqual(all.body.users);
    expect(rest.body.next).toBeUndefined();
    expect((await api(app, "GET", "/rooms")).body).toEqual({ rooms: [{ room: "den", count: 3, visibility: "public" }, { room: "yard", count: 1, visibility: "public" }] });
    expect((await api(app, "GET", "/rooms?limit=1")).body).toEqual({ rooms: [{ room: "den", count: 3, visibility: "public" }], next: "den" });
    expect((await api(app, "GET", "/rooms?cursor=den")).body).toEqual({ rooms: [{ room: "yard", count: 1, visibility: "public" }] });
    await Promise.all(clients.map((c) => c.close()));
  });

  it("deletes any message of a room as the server: members see `deleted` live, history keeps a tombstone", async () => {
    await using app = await withApi();
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    const ack = await alice.chat("something regrettable");
    const gone = await api(app, "DELETE", `/rooms/den/messages/${ack.id}`);
    expect(gone).toMatchObject({ status: 200, body: { room: "den", id: ack.id, deleted: true } });
    const told = await bob.next("deleted");
    expect(told).toMatchObject({ room: "den", id: ack.id, by: { name: "system" } });
    expect(told.by.id).toStartWith("~");
    const page = (await bob.request({ type: "history", room: "den" })) as { messages: { id: string; deleted?: boolean; text: string }[] };
    expect(page.messages.find((m) => m.id === ack.id)).toMatchObject({ deleted: true, text: "" });
    // Once deleted, or never sent, or in a bad room: the protocol's codes with their statuses.
    expect(await api(app, "DELETE", `/rooms/den/messages/${ack.id}`)).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await api(app, "DELETE", "/rooms/den/messages/no-such-id")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await api(app, "DELETE", "/rooms/Bad%20Room/messages/x")).toMatchObject({ status: 400, body: { error: { code: "invalid_room" } } });
  });
});

describe("server API: users and tokens", () => {
  it("sends a direct message to every connection of a user; an unknown user is 404", async () => {
    await using app = await withApi();
    await using tab1 = await TestClient.join(app, { name: "alice" });
    await using tab2 = await TestClient.join(app, { resume: tab1.resume! });
    const r = await api(app, "POST", `/users/${tab1.id}/messages`, { text: "your export is ready", from: { name: "exporter" } });
    expect(r.status).toBe(201);
    for (const tab of [tab1, tab2]) {
      expect(await tab.next("direct")).toMatchObject({ id: r.body.id, from: { id: "~exporter", name: "exporter" }, to: { id: tab1.id, name: "alice" }, text: "your export is ready" });
    }
    expect((await api(app, "GET", `/users/${tab1.id}`)).body).toEqual({ user: { id: tab1.id, name: "alice" } });
    for (const id of ["nobody-here", "~system", "~exporter"]) {
      expect((await api(app, "GET", `/users/${encodeURIComponent(id)}`)).status).toBe(404);
      const missing = await api(app, "POST", `/users/${encodeURIComponent(id)}/messages`, { text: "hi" });
      expect([missing.status, missing.body.error.code]).toEqual([404, ErrorCode.NoSuchUser]);
    }
  });

  it("disconnects every connection of a user with 4403 and the reason; others stay", async () => {
    await using app = await withApi();
    const tab1 = await TestClient.join(app, { name: "mallory", room: "den" });
    const tab2 = await TestClient.join(app, { resume: tab1.resume!, room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    const r = await api(app, "POST", `/users/${tab1.id}/disconnect`, { reason: "banned for spam" });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ user: { id: tab1.id, name: "mallory" } });
    for (const tab of [tab1, tab2]) expect(await tab.closed).toEqual({ code: CloseCode.Disconnected, reason: "banned for spam" });
    await bob.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === tab1.id));
    await bob.sync();
    expect((await api(app, "POST", `/users/${tab1.id}/disconnect`, {})).status).toBe(404);
  });

  it("mints a token a user connects with, limited to its rooms; refuses bad names and subs", async () => {
    await using app = await withApi({ authSecret: SECRET });
    const r = await api(app, "POST", "/tokens", { sub: "user-7", name: "Zoë", ttl: 120, rooms: ["den"] });
    expect(r.status).toBe(201);
    expect(r.body.expiresAt).toBeGreaterThan(Date.now());
    await using zoe = await TestClient.join(app, { token: r.body.token });
    expect([zoe.id, zoe.name]).toEqual(["user-7", "Zoë"]);
    expect(zoe.log.find((f) => f.type === "users")).toMatchObject({ room: "den" });
    const refused = await zoe.request({ type: "join", room: "elsewhere" });
    expect(refused).toMatchObject({ type: "error", code: ErrorCode.Unauthorized });
    for (const [body, code] of [
      [{ sub: "u", name: "admin" }, ErrorCode.InvalidName],
      [{ sub: "u", name: "two words" }, ErrorCode.InvalidName],
      [{ sub: "~system", name: "sneaky" }, ErrorCode.InvalidMessage],
      [{ sub: "u", name: "ok", rooms: ["Not A Room"] }, ErrorCode.InvalidRoom],
      [{ sub: "u", name: "ok", ttl: 0 }, ErrorCode.InvalidMessage],
      [{ sub: "", name: "ok" }, ErrorCode.InvalidMessage],
    ] as const) {
      const bad = await api(app, "POST", "/tokens", body);
      expect([JSON.stringify(body), bad.status, bad.body.error.code]).toEqual([JSON.stringify(body), 400, code]);
    }
    // A token with a `~` sub minted elsewhere is refused at the door too.
    const forged = await mintToken(SECRET, "~system", "sneaky", 60);
    const c = await TestClient.connect(app, { token: forged });
    expect((await c.closed).code).toBe(CloseCode.Unauthorized);
  });

  it("answers tokens 409 not_configured without AUTH_SECRET", async () => {
    await using app = await withApi();
    const r = await api(app, "POST", "/tokens", { sub: "u", name: "ok" });
    expect([r.status, r.body.error.code]).toEqual([409, "not_configured"]);
  });
});

describe("server API: bad input", () => {
  it("answers each bad body with its status and code", async () => {
    await using app = await withApi({ maxTextLength: 10 });
    const cases: [string, string, unknown, { raw?: string }, number, string][] = [
      ["POST", "/rooms/den/messages", undefined, { raw: "{not json" }, 400, ErrorCode.InvalidJson],
      ["POST", "/rooms/den/messages", [], {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/rooms/den/messages", { text: 7 }, {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/rooms/den/messages", { text: "hi", extra: 1 }, {}, 400, ErrorCode.InvalidMessage],
      // Only a room's own changes are `room` messages (moderation.ts): a backend cannot forge one.
      ["POST", "/rooms/den/messages", { text: "{}", kind: "room" }, {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/rooms/den/messages", { text: "   " }, {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/rooms/den/messages", { text: "x".repeat(11) }, {}, 400, ErrorCode.TextTooLong],
      ["POST", "/rooms/den/messages", {}, {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/rooms/Not%20a%20room/messages", { text: "hi" }, {}, 400, ErrorCode.InvalidRoom],
      ["GET", "/rooms/%E2%80%AEden/members", undefined, {}, 400, ErrorCode.InvalidRoom],
      ["POST", "/rooms/den/messages", { text: "hi", from: { name: "" } }, {}, 400, ErrorCode.InvalidName],
      ["POST", "/rooms/den/messages", { text: "hi", cid: "" }, {}, 400, ErrorCode.InvalidMessage],
      ["POST", "/users/nobody/messages", { text: "hi" }, {}, 404, ErrorCode.NoSuchUser],
      ["POST", "/users/nobody/disconnect", {}, {}, 404, ErrorCode.NoSuchUser],
      ["POST", "/users/nobody/disconnect", { reason: 5 }, {}, 400, ErrorCode.InvalidMessage],
    ];
    for (const [method, path, body, opts, status, code] of cases) {
      const r = await api(app, method, path, body, opts);
      expect([method, path, r.status, r.body?.error?.code]).toEqual([method, path, status, code]);
      expect(typeof r.body.error.message).toBe("string");
    }
  });

  it("answers a body over 64 KiB with 413, declared or streamed", async () => {
    await using app = await withApi();
    const big = JSON.stringify({ text: "x".repeat(MAX_BODY_BYTES) });
    const declared = await api(app, "POST", "/rooms/den/messages", undefined, { raw: big });
    expect([declared.status, declared.body.error.code]).toEqual([413, "payload_too_large"]);
    // Chunked, without a Content-Length: cut while reading.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode("x".repeat(8192)));
        c.close();
      },
    });
    const res = await fetch(`${app.httpUrl}/api/v1/rooms/den/messages`, { method: "POST", headers: { authorization: `Bearer ${API_KEY}` }, body: stream });
    expect(res.status).toBe(413);
  });
});

describe("server API in process", () => {
  // As hono's app.request(): the API is a plain fetch over the real services, called without a port.
  async function inProcess() {
    const config = defaultConfig({ apiKey: [API_KEY] });
    const engine = new MemoryEngine({ historySize: 10 });
    const hub = new Hub(config);
    const services = createServices(hub, engine, config, null);
    await engine.start(hub);
    const state = { draining: false, ready: true };
    const handler = createApi({ services, engine, config, state: { draining: () => state.draining, ready: () => state.ready }, log: silentLogger, noisy: silentLogger, registry: new client.Registry() });
    const request = async (method: string, path: string, body?: unknown) => {
      const url = `http://hubbub.test/api/v1${path}`;
      const res = await handler(new Request(url, { method, headers: { authorization: `Bearer ${API_KEY}` }, body: body === undefined ? undefined : JSON.stringify(body) }), new URL(url), { requestIP: () => null });
      return { status: res.status, headers: res.headers, body: await res.json() };
    };
    return { state, request, engine, [Symbol.asyncDispose]: () => engine.close() };
  }

  it("posts and reads back without a server", async () => {
    await using app = await inProcess();
    expect((await app.request("POST", "/rooms/den/messages", { text: "no socket needed" })).status).toBe(201);
    expect((await app.request("GET", "/rooms/den/messages")).body.messages.map((m: { text: string }) => m.text)).toEqual(["no socket needed"]);
  });

  it("answers 503 with Retry-After while draining or while the engine is not ready", async () => {
    await using app = await inProcess();
    app.state.ready = false;
    const down = await app.request("GET", "/rooms");
    expect([down.status, down.body.error.code, down.headers.get("retry-after")]).toEqual([503, ErrorCode.Unavailable, "1"]);
    app.state.ready = true;
    app.state.draining = true;
    const draining = await app.request("POST", "/rooms/den/messages", { text: "too late" });
    expect([draining.status, draining.body.error.message]).toEqual([503, "the server is shutting down"]);
  });
});
