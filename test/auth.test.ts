import { describe, expect, it } from "bun:test";
import { SignJWT } from "jose";
import { CLOCK_SKEW_S, SUBPROTOCOL, createAuthenticator, mintToken, parseTtl, tokenFrom } from "../src/auth.ts";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { TestClient, UPGRADE_HEADERS, eventually, memoryLogger, parseServerFrames, rawRequest, readUntilClosed, spawnServer, startServer } from "./helpers.ts";

const SECRET = "test-secret-that-is-long-enough-0123456789";
const key = new TextEncoder().encode(SECRET);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** A token with any header and claims, signed with HMAC-SHA256 of `secret` whatever it claims. */
function forge(header: Record<string, unknown>, claims: Record<string, unknown>, secret = SECRET): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const sig = new Bun.CryptoHasher("sha256", secret).update(input).digest("base64url");
  return `${input}.${sig}`;
}

async function expectUnauthorized(c: TestClient): Promise<void> {
  expect(await c.next("error")).toMatchObject({ code: ErrorCode.Unauthorized });
  expect((await c.closed).code).toBe(CloseCode.Unauthorized);
}

describe("tokens (AUTH_SECRET set)", () => {
  it("admits a valid ?token=: the sub is the user id and the name claim the name, whatever ?name= says", async () => {
    await using app = await startServer({ authSecret: SECRET });
    const token = await mintToken(SECRET, "user-42", "Alice", 60);
    await using c = await TestClient.join(app, { token, name: "mallory" });
    expect(c.id).toBe("user-42");
    expect(c.name).toBe("Alice");
    expect(c.all("users")[0]?.users).toEqual([{ id: "user-42", name: "Alice" }]);
  });

  it("takes the token from a bearer.<token> subprotocol and echoes only the real subprotocol", async () => {
    await using app = await startServer({ authSecret: SECRET });
    const token = await mintToken(SECRET, "u1", "bob", 60);
    // The bearer entry first: Bun's default would echo it, token and all.
    const r = await rawRequest(app.server.port!, "/ws", { ...UPGRADE_HEADERS, "Sec-WebSocket-Protocol": `bearer.${token}, ${SUBPROTOCOL}` });
    expect(r.status).toBe(101);
    expect(r.head).toContain(`Sec-WebSocket-Protocol: ${SUBPROTOCOL}`);
    expect(r.head).not.toContain(token);
    r.socket.destroy();

    // A browser-style client offering both gets hubbub.v1 and is welcomed under the token's name.
    const ws = new WebSocket(app.wsUrl, [SUBPROTOCOL, `bearer.${token}`]);
    const first = await new Promise<string>((resolve, reject) => {
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onclose = (e) => reject(new Error(`closed ${e.code}`));
    });
    expect(ws.protocol).toBe(SUBPROTOCOL);
    expect(JSON.parse(first)).toMatchObject({ type: "welcome", id: "u1", name: "bob" });
    ws.close();
  });

  it("sends no subprotocol when none but the bearer one was offered", () => {
    const t = tokenFrom(new URL("ws://x/ws?token=q"), "bearer.abc");
    expect(t).toEqual({ token: "abc", protocol: "" });
    expect(tokenFrom(new URL("ws://x/ws?token=q"), null)).toEqual({ token: "q", protocol: "" });
    expect(tokenFrom(new URL("ws://x/ws"), ` other, ${SUBPROTOCOL} `)).toEqual({ token: null, protocol: SUBPROTOCOL });
  });

  it("never echoes the bearer subprotocol (the token) in the 101, with or without AUTH_SECRET", async () => {
    const token = await mintToken(SECRET, "echo-user", "Echo", 300);
    for (const authSecret of [SECRET, undefined]) {
      await using app = await startServer({ authSecret });
      const r = await rawRequest(app.server.port!, "/ws", { ...UPGRADE_HEADERS, "Sec-WebSocket-Protocol": `bearer.${token}` });
      r.socket.destroy();
      expect(r.status).toBe(101);
      expect(r.head).not.toContain(token);
      expect(r.head.toLowerCase()).not.toContain("sec-websocket-protocol: bearer");
    }
  });

  it("closes a missing token with an unauthorized error frame and 4401", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await expectUnauthorized(await TestClient.connect(app, { name: "alice" }));
    expect(app.hub.size).toBeLessThanOrEqual(1);
  });

  const bad: [string, () => Promise<string> | string][] = [
    ["a wrong signature", () => mintToken("another-secret-that-is-long-enough-xxxxx", "u", "eve", 60)],
    ["an expired token (past the skew)", () => mintToken(SECRET, "u", "eve", 10, { now: Date.now() - (CLOCK_SKEW_S + 60) * 1000 })],
    ["a token not yet valid (nbf past the skew)", () => new SignJWT({ name: "eve" }).setProtectedHeader({ alg: "HS256" }).setSubject("u").setExpirationTime(now() + 3600).setNotBefore(now() + CLOCK_SKEW_S + 60).sign(key)],
    ["a token without exp", () => new SignJWT({ name: "eve" }).setProtectedHeader({ alg: "HS256" }).setSubject("u").sign(key)],
    ["a token without sub", () => new SignJWT({ name: "eve" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now() + 60).sign(key)],
    ["a token with an invalid name", () => mintToken(SECRET, "u", "has space", 60)],
    ["alg: none", () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "u", name: "eve", exp: now() + 60 })}.`],
    ["alg: HS512 with the right secret", () => new SignJWT({ name: "eve" }).setProtectedHeader({ alg: "HS512" }).setSubject("u").setExpirationTime(now() + 60).sign(key)],
    ["alg: RS256 over an HMAC signature (algorithm confusion)", () => forge({ alg: "RS256", typ: "JWT" }, { sub: "u", name: "eve", exp: now() + 60 })],
    ["garbage", () => "not.a.jwt"],
    ["an over-long token", () => "x".repeat(5000)],
  ];
  for (const [what, make] of bad) {
    it(`refuses ${what} with 4401`, async () => {
      await using app = await startServer({ authSecret: SECRET });
      await expectUnauthorized(await TestClient.connect(app, { token: await make() }));
    });
  }

  it("refuses a reserved name even from a token (invalid_name, 4400)", async () => {
    await using app = await startServer({ authSecret: SECRET });
    const c = await TestClient.connect(app, { token: await mintToken(SECRET, "u", "ＡＤＭＩＮ", 60) });
    expect(await c.next("error")).toMatchObject({ code: ErrorCode.InvalidName });
    expect((await c.closed).code).toBe(CloseCode.BadHandshake);
  });

  it("tolerates a token that expired within the clock skew", async () => {
    await using app = await startServer({ authSecret: SECRET });
    const token = await mintToken(SECRET, "u", "late", 10, { now: Date.now() - 20_000 });
    await using c = await TestClient.join(app, { token });
    expect(c.name).toBe("late");
  });

  it("checks AUDIENCE when set", async () => {
    await using app = await startServer({ authSecret: SECRET, audience: "hubbub-prod" });
    await expectUnauthorized(await TestClient.connect(app, { token: await mintToken(SECRET, "u", "x", 60) }));
    await expectUnauthorized(await TestClient.connect(app, { token: await mintToken(SECRET, "u", "x", 60, { audience: "other" }) }));
    await using ok = await TestClient.join(app, { token: await mintToken(SECRET, "u", "x", 60, { audience: "hubbub-prod" }) });
    expect(ok.name).toBe("x");
  });

  it("refuses /nick: names come from the token", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using c = await TestClient.join(app, { token: await mintToken(SECRET, "u", "carol", 60) });
    c.send({ type: "chat", text: "/nick mallory" });
    expect(await c.error(ErrorCode.Unauthorized)).toMatchObject({ code: "unauthorized" });
  });

  it("another user cannot hold a name a token gave someone", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using a = await TestClient.join(app, { token: await mintToken(SECRET, "u-a", "alice", 60) });
    const b = await TestClient.connect(app, { token: await mintToken(SECRET, "u-b", "Alice", 60) });
    expect(await b.next("error")).toMatchObject({ code: ErrorCode.NameTaken });
    expect((await b.closed).code).toBe(CloseCode.NameTaken);
  });
});

describe("one user, several connections", () => {
  it("is one member of the user list; presence changes only with the first join and the last leave", async () => {
    await using app = await startServer({ authSecret: SECRET, presenceIntervalMs: 5 });
    await using watcher = await TestClient.join(app, { token: await mintToken(SECRET, "w", "watcher", 60) });
    const token = await mintToken(SECRET, "u-alice", "alice", 60);
    const tab1 = await TestClient.join(app, { token });
    await watcher.next((f) => f.type === "presence" && f.joins.some((m) => m.id === "u-alice"));
    const tab2 = await TestClient.join(app, { token });
    expect(tab2.id).toBe("u-alice");
    expect(tab2.all("users")[0]?.users.filter((m) => m.id === "u-alice")).toHaveLength(1);

    // A direct message to alice reaches both tabs.
    watcher.send({ type: "direct", to: "alice", text: "hi both" });
    await tab1.next("direct");
    await tab2.next("direct");

    // One tab leaving the room, or closing, while another tab stays in it is not a leave of the
    // user. (Each step waits for its answer, so the server sees them in this order.)
    tab2.send({ type: "leave", room: "lobby" });
    await tab2.next("left");
    tab2.send({ type: "join", room: "lobby" });
    await tab2.next("users");
    await tab1.close();
    await eventually(() => app.hub.size === 2, 3000, "tab1's disconnect");
    watcher.send({ type: "chat", text: "/who" });
    const who = await watcher.next((f) => f.type === "users");
    expect(who.type === "users" && who.users.filter((m) => m.id === "u-alice")).toHaveLength(1);
    await watcher.sync();
    expect(watcher.all("presence").flatMap((p) => p.leaves).filter((m) => m.id === "u-alice")).toEqual([]);

    // The last connection closing is the leave, and frees the name.
    await tab2.close();
    await watcher.next((f) => f.type === "presence" && f.leaves.some((m) => m.id === "u-alice"));
    await using other = await TestClient.join(app, { token: await mintToken(SECRET, "u-other", "alice", 60) });
    expect(other.name).toBe("alice");
  });
});

describe("token logging and the token command", () => {
  it("never writes a token or a query string to the logs, even at debug", async () => {
    const env = { AUTH_SECRET: SECRET, LOG_LEVEL: "debug" };
    const good = await mintToken(SECRET, "log-user", "logan", 60);
    const header = await mintToken(SECRET, "log-user2", "logan2", 60);
    const badToken = (await mintToken("wrong-secret-that-is-long-enough-yyyyyy", "x", "x", 60)) + "tail";
    {
      await using srv = await spawnServer(env);
      const a = await TestClient.join(srv.wsUrl, { token: good, room: "secretroom" });
      await a.chat("hello from logan");
      const b = await TestClient.connect(srv.wsUrl, { token: badToken });
      await b.closed;
      const raw = await rawRequest(srv.port, "/ws", { ...UPGRADE_HEADERS, "Sec-WebSocket-Protocol": `bearer.${header}, ${SUBPROTOCOL}` });
      raw.socket.end();
      await readUntilClosed(raw);
      await a.close();
      srv.proc.kill("SIGTERM");
      expect(await srv.exited).toBe(0);
      const stderr = await new Response(srv.proc.stderr).text();
      const all = `${srv.lines.join("\n")}\n${stderr}`;
      expect(all).toContain('"unauthorized"');
      for (const secret of [good, header, badToken, SECRET, "token=", good.split(".")[2]!, badToken.split(".")[1]!]) expect(all).not.toContain(secret);
      // No message text at info: it is the users' business, not the operator's.
      expect(all).not.toContain("hello from logan");
    }
  }, 15_000);

  it("the memory logger sees reason codes only", async () => {
    const log = memoryLogger();
    await using app = await startServer({ authSecret: SECRET }, { log });
    const expired = await mintToken(SECRET, "u", "x", 1, { now: Date.now() - 3_600_000 });
    await expectUnauthorized(await TestClient.connect(app, { token: expired }));
    expect(log.lines.find((l) => l.msg === "unauthorized")).toMatchObject({ reason: "err_jwt_expired" });
    expect(JSON.stringify(log.lines)).not.toContain(expired);
  });

  it("`token <sub> <name> --ttl` mints a token the server accepts", async () => {
    const proc = Bun.spawn([process.execPath, "src/index.ts", "token", "cli-user", "Cli", "--ttl", "5m"], { cwd: `${import.meta.dir}/..`, env: { ...process.env, AUTH_SECRET: SECRET }, stdout: "pipe", stderr: "pipe" });
    const token = (await new Response(proc.stdout).text()).trim();
    expect(await proc.exited).toBe(0);
    const r = await createAuthenticator(SECRET).verify(token);
    expect(r).toEqual({ ok: true, identity: { userId: "cli-user", name: "Cli" } });
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims.exp - claims.iat).toBe(300);
  });

  it("`token` explains itself without AUTH_SECRET or with bad arguments", async () => {
    for (const [args, env] of [[["token", "a", "b"], {}], [["token", "only-sub"], { AUTH_SECRET: SECRET }], [["token", "a", "b", "--ttl", "soon"], { AUTH_SECRET: SECRET }]] as const) {
      const proc = Bun.spawn([process.execPath, "src/index.ts", ...args], { cwd: `${import.meta.dir}/..`, env: { ...process.env, AUTH_SECRET: "", ...env }, stdout: "pipe", stderr: "pipe" });
      expect(await proc.exited).toBe(2);
      expect(await new Response(proc.stderr).text()).toContain("usage: hubbub token");
    }
  });

  it("parses TTLs", () => {
    expect([parseTtl("90"), parseTtl("90s"), parseTtl("15m"), parseTtl("1h"), parseTtl("7d"), parseTtl("0"), parseTtl("1y"), parseTtl("")]).toEqual([90, 90, 900, 3600, 604800, null, null, null]);
  });

  it("refuses a short AUTH_SECRET without printing it", async () => {
    const { loadConfig } = await import("../src/config.ts");
    const r = loadConfig({ AUTH_SECRET: "short-secret" });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error).toContain("AUTH_SECRET");
    expect(r.ok === false && r.error).not.toContain("short-secret");
  });
});

describe("room claims: `rooms` patterns and `admin`", () => {
  const token = (sub: string, claims: Record<string, unknown>) => new SignJWT({ name: sub, ...claims }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setExpirationTime(now() + 60).sign(key);

  it("lets a `rooms` claim with prefix-* patterns join matching rooms only; a handshake without room joins its first named room", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using zoe = await TestClient.join(app, { token: await mintToken(SECRET, "zoe", "zoe", 60, { rooms: ["team-*", "den", "ops-*"] }) });
    expect(zoe.log.find((f) => f.type === "users")).toMatchObject({ room: "den" });
    expect(await zoe.request({ type: "join", room: "team-red" })).toMatchObject({ type: "users", room: "team-red" });
    expect(await zoe.request({ type: "join", room: "OPS-1" })).toMatchObject({ type: "users", room: "ops-1" });
    for (const room of ["team", "teams", "lobby", "xteam-red"]) {
      expect(await zoe.request({ type: "join", room })).toMatchObject({ type: "error", code: ErrorCode.Unauthorized, message: `your token does not allow room ${room}` });
    }
    // In the handshake, a room the claim does not allow closes the connection as a bad handshake.
    const outside = await TestClient.connect(app, { token: await mintToken(SECRET, "zed", "zed", 60, { rooms: ["team-*"] }), room: "lobby" });
    expect(await outside.next("error")).toMatchObject({ code: ErrorCode.Unauthorized });
    expect((await outside.closed).code).toBe(CloseCode.BadHandshake);
    // Patterns alone name no room: the handshake must name one.
    await using named = await TestClient.join(app, { token: await mintToken(SECRET, "amy", "amy", 60, { rooms: ["team-*"] }), room: "team-blue" });
    expect(named.log.find((f) => f.type === "users")).toMatchObject({ room: "team-blue" });
    await using everyone = await TestClient.join(app, { token: await mintToken(SECRET, "all", "all", 60, { rooms: ["*"] }), room: "anything" });
    expect(await everyone.request({ type: "join", room: "team-x" })).toMatchObject({ type: "users" });
  });

  it("keeps today's behaviour for a token without `rooms`: any room, no role in rooms others own", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using owner = await TestClient.join(app, { token: await mintToken(SECRET, "owner", "owner", 60), room: "den" });
    await using plain = await TestClient.join(app, { token: await mintToken(SECRET, "plain", "plain", 60), room: "den" });
    expect((plain.log.find((f) => f.type === "users") as { role?: string }).role).toBeUndefined();
    for (const room of ["team-red", "lobby", "z"]) expect(await plain.request({ type: "join", room })).toMatchObject({ type: "users", room });
    expect(await plain.request({ type: "kick", room: "den", user: "owner" })).toMatchObject({ code: ErrorCode.Forbidden });
  });

  it("makes `admin: true` a moderator in every room, private ones included, who still cannot act on an owner", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using alice = await TestClient.join(app, { token: await mintToken(SECRET, "alice", "alice", 60), room: "vault" });
    await using bob = await TestClient.join(app, { token: await mintToken(SECRET, "bob", "bob", 60), room: "lobby" });
    await using carol = await TestClient.join(app, { token: await mintToken(SECRET, "carol", "carol", 60), room: "lobby" });
    expect(await alice.request({ type: "mode", room: "vault", visibility: "private" })).toMatchObject({ type: "ok" });
    await using root = await TestClient.join(app, { token: await mintToken(SECRET, "ops-1", "opsie", 60, { admin: true }), room: "lobby" });
    expect(root.log.find((f) => f.type === "users")).toMatchObject({ room: "lobby", role: "moderator" });
    expect(await bob.request({ type: "join", room: "vault" })).toMatchObject({ code: ErrorCode.Forbidden });
    expect(await root.request({ type: "join", room: "vault" })).toMatchObject({ type: "users", visibility: "private", role: "moderator" });
    // A moderator's powers: the topic, a member's mute, anyone's message; not over lobby's owner, bob.
    expect(await root.request({ type: "topic", room: "vault", text: "audited" })).toMatchObject({ type: "ok" });
    expect(await root.request({ type: "mute", room: "lobby", user: "carol" })).toMatchObject({ type: "ok" });
    expect(await carol.request({ type: "chat", room: "lobby", text: "hm" })).toMatchObject({ code: ErrorCode.Muted });
    expect(await root.request({ type: "mute", room: "lobby", user: "bob" })).toMatchObject({ code: ErrorCode.Forbidden });
    const said = await alice.chat("owner's words", "vault");
    expect(await root.request({ type: "delete", room: "vault", id: said.id })).toMatchObject({ type: "ok" });
    // Not an owner's: nothing against the owner, and no making rooms public or private.
    for (const f of [{ type: "kick", user: "alice" }, { type: "ban", user: "alice" }, { type: "mute", user: "alice" }, { type: "role", user: "alice", role: "member" }, { type: "mode", visibility: "public" }]) {
      expect(await root.request({ ...f, room: "vault" })).toMatchObject({ type: "error", code: ErrorCode.Forbidden });
    }
    expect(await alice.request({ type: "chat", room: "vault", text: "still mine" })).toMatchObject({ type: "ack" });
  });

  const badClaims: [string, Record<string, unknown>][] = [
    ["admin: \"yes\"", { admin: "yes" }],
    ["admin: 1", { admin: 1 }],
    ["admin: null", { admin: null }],
    ["rooms: a bad pattern", { rooms: ["bad room*"] }],
    ["rooms: a pattern inside a name", { rooms: ["te*am"] }],
    ["rooms: not a list", { rooms: "den" }],
    ["rooms: empty", { rooms: [] }],
  ];
  for (const [what, claims] of badClaims) {
    it(`refuses a token whose ${what} (4401)`, async () => {
      await using app = await startServer({ authSecret: SECRET });
      await expectUnauthorized(await TestClient.connect(app, { token: await token("u", claims) }));
    });
  }

  it("keeps `admin: false` a plain user", async () => {
    await using app = await startServer({ authSecret: SECRET });
    await using owner = await TestClient.join(app, { token: await mintToken(SECRET, "owner", "owner", 60), room: "den" });
    await using c = await TestClient.join(app, { token: await token("carl", { admin: false }), room: "den" });
    expect((c.log.find((f) => f.type === "users") as { role?: string }).role).toBeUndefined();
    expect(await c.request({ type: "topic", room: "den", text: "x" })).toMatchObject({ code: ErrorCode.Forbidden });
  });
});
