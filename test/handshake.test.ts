import { describe, expect, it } from "bun:test";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { parseOriginPolicy } from "../src/config.ts";
import { TestClient, UPGRADE_HEADERS, rawRequest, startServer } from "./helpers.ts";

describe("HTTP routes", () => {
  it("serves /healthz, /readyz, the page at /, and 404 elsewhere", async () => {
    await using app = await startServer();
    expect((await fetch(`${app.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.httpUrl}/readyz`)).status).toBe(200);
    const page = await fetch(`${app.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("Hubbub");
    expect((await fetch(`${app.httpUrl}/nope`)).status).toBe(404);
  });

  it("answers a plain GET of /ws with 426", async () => {
    await using app = await startServer();
    const res = await fetch(`${app.httpUrl}/ws`);
    expect(res.status).toBe(426);
  });

  it("refuses new upgrades with 503 and /readyz 503 while shutting down", async () => {
    const app = await startServer({ shutdownTimeoutMs: 3000 });
    const c = await TestClient.join(app);
    // Hold the shutdown open: a connection that has not closed keeps it waiting.
    const done = app.shutdown();
    expect((await fetch(`${app.httpUrl}/readyz`)).status).toBe(503);
    const r = await rawRequest(app.server.port!, "/ws", UPGRADE_HEADERS);
    expect(r.status).toBe(503);
    r.socket.destroy();
    await c.closed;
    await done;
  });
});

describe("origin check", () => {
  it("by default allows a same-origin page and clients without Origin, refusing others with 403", async () => {
    await using app = await startServer();
    const port = app.server.port!;
    const same = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, Origin: `http://127.0.0.1:${port}` });
    expect(same.status).toBe(101);
    same.socket.destroy();
    const none = await rawRequest(port, "/ws", UPGRADE_HEADERS);
    expect(none.status).toBe(101);
    none.socket.destroy();
    for (const origin of ["http://evil.example", `http://127.0.0.1:${port + 1}`, "null", "not a url"]) {
      const r = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, Origin: origin });
      expect(r.status).toBe(403);
      r.socket.destroy();
    }
  });

  it("with ALLOWED_ORIGINS allows exactly the listed origins", async () => {
    await using app = await startServer({ allowedOrigins: parseOriginPolicy("https://chat.example, https://b.example/") });
    const port = app.server.port!;
    for (const [origin, status] of [["https://chat.example", 101], ["https://B.example", 101], [`http://127.0.0.1:${port}`, 403], ["https://chat.example.evil", 403]] as const) {
      const r = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, Origin: origin });
      expect([origin, r.status]).toEqual([origin, status]);
      r.socket.destroy();
    }
  });

  it("refuses look-alike origins with 403 before upgrading: no session, no slot, one refusal counted", async () => {
    await using app = await startServer({ allowedOrigins: parseOriginPolicy("https://chat.example") });
    const port = app.server.port!;
    const lookalikes = [
      "http://chat.example", // scheme
      "https://chat.example:8443", // port
      "https://sub.chat.example", // subdomain
      "https://chat.example@evil.example", // userinfo trick
      "https://chat.example.", // trailing dot
      "https://chat.example/path",
      "",
      "null",
    ];
    for (const origin of lookalikes) {
      const r = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, Origin: origin });
      expect([origin, r.status]).toEqual([origin, 403]);
      expect(r.head).not.toContain("Sec-WebSocket-Accept");
      r.socket.destroy();
    }
    expect([app.hub.size, app.limits.size]).toEqual([0, 0]);
    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metrics).toContain(`hubbub_connections_refused_total{reason="origin"} ${lookalikes.length}`);
  });

  it("same-origin compares the whole host:port, not a prefix or a fragment of it", async () => {
    await using app = await startServer();
    const port = app.server.port!;
    for (const origin of [`http://127.0.0.1:${port}.evil.example`, `http://evil.example#127.0.0.1:${port}`, `http://evil.example/127.0.0.1:${port}`, "http://127.0.0.1"]) {
      const r = await rawRequest(port, "/ws", { ...UPGRADE_HEADERS, Origin: origin });
      expect([origin, r.status]).toEqual([origin, 403]);
      r.socket.destroy();
    }
  });

  it("with ALLOWED_ORIGINS=* allows any origin", async () => {
    await using app = await startServer({ allowedOrigins: parseOriginPolicy("*") });
    const r = await rawRequest(app.server.port!, "/ws", { ...UPGRADE_HEADERS, Origin: "https://anywhere.example" });
    expect(r.status).toBe(101);
    r.socket.destroy();
  });
});

describe("handshake", () => {
  it("sends welcome first, then the initial room's user list", async () => {
    await using app = await startServer();
    await using c = await TestClient.connect(app, { name: "alice", room: "Kitchen" });
    const welcome = c.log[0] ?? (await c.next("welcome"));
    expect(welcome).toMatchObject({ type: "welcome", protocol: 2, name: "alice", limits: { maxTextLength: 4000, maxPayloadBytes: 65536, ratePerSecond: 20, joinsPerSecond: 10, requestsPerSecond: 20, historySize: 100 } });
    const { id, conn } = welcome as { id: string; conn: string };
    expect(conn).toBe(id);
    const users = await c.next("users");
    // The room's first member owns it (docs/rooms.md).
    expect(users).toEqual({ type: "users", room: "kitchen", seq: 0, epoch: users.epoch, count: 1, users: [{ id, name: "alice" }], role: "owner", roles: { [id]: "owner" } });
    expect(c.log[0]?.type).toBe("welcome");
  });

  it("gives a unique guest- name when none is asked for, and joins lobby", async () => {
    await using app = await startServer();
    const names = new Set<string>();
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.join(app)));
    for (const c of clients) {
      expect(c.name).toMatch(/^guest-[0-9a-f]{4,}$/);
      names.add(c.name);
    }
    expect(names.size).toBe(20);
    const users = await clients[0]!.sync().then(() => clients[0]!.all("users")[0]);
    expect(users?.room).toBe("lobby");
    await Promise.all(clients.map((c) => c.close()));
  });

  it("NFC-normalises and trims names", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app, { name: "  Zoe\u0301  " });
    expect(c.name).toBe("Zoé");
  });

  for (const name of ["", "has space", "x".repeat(33), "bad\u200bname", "nul\u0000", "<script>", "a/b"]) {
    it(`refuses the name ${JSON.stringify(name)} with invalid_name and 4400`, async () => {
      await using app = await startServer();
      const c = await TestClient.connect(app, { name });
      expect(await c.next("error")).toMatchObject({ code: ErrorCode.InvalidName });
      expect((await c.closed).code).toBe(CloseCode.BadHandshake);
    });
  }

  for (const room of ["", "-x", "a".repeat(33), "no space", "ünï"]) {
    it(`refuses the room ${JSON.stringify(room)} with invalid_room and 4400`, async () => {
      await using app = await startServer();
      const c = await TestClient.connect(app, { room });
      expect(await c.next("error")).toMatchObject({ code: ErrorCode.InvalidRoom });
      expect((await c.closed).code).toBe(CloseCode.BadHandshake);
    });
  }

  it("refuses a since that is not a non-negative integer with 4400", async () => {
    await using app = await startServer();
    const c = await TestClient.connect(app, { since: "-1" });
    expect(await c.next("error")).toMatchObject({ code: ErrorCode.InvalidMessage });
    expect((await c.closed).code).toBe(CloseCode.BadHandshake);
  });

  it("refuses a name held by a live connection (any case) with name_taken and 4409, and frees it on disconnect", async () => {
    await using app = await startServer();
    const alice = await TestClient.join(app, { name: "alice" });
    for (const name of ["alice", "ALICE", "ａｌｉｃｅ"]) {
      const dup = await TestClient.connect(app, { name });
      expect(await dup.next("error")).toMatchObject({ code: ErrorCode.NameTaken });
      expect((await dup.closed).code).toBe(CloseCode.NameTaken);
    }
    await alice.close();
    await using again = await TestClient.join(app, { name: "alice" });
    expect(again.name).toBe("alice");
  });
});
