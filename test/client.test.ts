// The client SDK against a real server: every client frame has a method, every server frame
// an event, and the user lists track joins, renames and leaves.
import { describe, expect, it } from "bun:test";
import { BATCH_SUBPROTOCOL, ClientErrorCode, ErrorCode, HubbubError, SUBPROTOCOL } from "hubbub/client";
import { mintToken } from "../src/auth.ts";
import { SHRUG } from "../src/shared/slash.ts";
import { TestClient, startServer } from "./helpers.ts";
import { evictConnection, gatedWebSocket, messagesIn, nextEvent, record, sdkClient } from "./sdk.ts";

const names = (users: { name: string }[]) => users.map((u) => u.name).sort();

describe("HubbubClient", () => {
  it("connects, sends, and resolves send() with the ack of the message every member sees", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice", rooms: ["den"] });
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den"] });
    const heard = nextEvent(bob, "message");
    const ack = await alice.send("hi bob");
    const m = await heard;
    expect(ack).toMatchObject({ type: "ack", room: "den", seq: 1, id: m.id });
    expect(m).toMatchObject({ room: "den", seq: 1, text: "hi bob", kind: "text", from: { id: alice.id!, name: "alice" } });
    expect(alice.state).toEqual({ state: "connected" });
    expect(alice.limits?.ratePerSecond).toBe(20);
  });

  it("keeps each room's user list through joins, renames and leaves", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using alice = await sdkClient(app, { name: "alice" });
    expect(names(alice.users("lobby"))).toEqual(["alice"]);
    const joined = nextEvent(alice, "roster", (e) => e.users.length === 2);
    await using bob = await sdkClient(app, { name: "bob" });
    expect(names((await joined).users)).toEqual(["alice", "bob"]);
    const renamed = nextEvent(alice, "roster", (e) => names(e.users).includes("robert"));
    const bobName = nextEvent(bob, "name");
    expect(await bob.setName("robert")).toBe("robert");
    expect(names((await renamed).users)).toEqual(["alice", "robert"]);
    expect(await bobName).toBe("robert");
    expect(bob.name).toBe("robert");
    const left = nextEvent(alice, "roster", (e) => e.users.length === 1);
    await bob.close();
    expect(names((await left).users)).toEqual(["alice"]);
  });

  it("joins and leaves rooms, with history on request, and defaults send() to the first room", async () => {
    await using app = await startServer();
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den"] });
    await bob.send("one");
    await bob.send("two");
    await using alice = await sdkClient(app, { name: "alice" });
    const rec = record(alice);
    const rooms = nextEvent(alice, "rooms", (r) => r.includes("den"));
    expect(names(await alice.join("den", { history: true }))).toEqual(["alice", "bob"]);
    expect(await rooms).toEqual(["lobby", "den"]);
    expect((await messagesIn(rec, alice, "den", 2)).map((m) => m.text)).toEqual(["one", "two"]);
    expect((await alice.send("in the lobby")).room).toBe("lobby");
    expect((await alice.history("den", { after: 1 })).messages.map((m) => m.seq)).toEqual([2]);
    await alice.leave("den");
    expect(alice.rooms).toEqual(["lobby"]);
    await expect(alice.history("den")).rejects.toMatchObject({ code: ErrorCode.NotInRoom });
  });

  it("runs every slash command through command(), and rejects with the server's error code", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    await using alice = await sdkClient(app, { name: "alice" });
    await using bob = await sdkClient(app, { name: "bob" });
    const rec = record(bob);
    await alice.command("/me waves");
    await alice.command("/shrug ok");
    await alice.command("//literal slash");
    expect((await messagesIn(rec, bob, "lobby", 3)).map((m) => [m.kind, m.text])).toEqual([
      ["action", "waves"],
      ["text", `ok ${SHRUG}`],
      ["text", "/literal slash"],
    ]);
    const dm = nextEvent(bob, "direct");
    await alice.command("/msg bob psst");
    expect(await dm).toMatchObject({ from: { name: "alice" }, to: { name: "bob" }, text: "psst" });
    await alice.command("/join den");
    expect(alice.rooms).toEqual(["lobby", "den"]);
    await alice.command("/leave den");
    expect(alice.rooms).toEqual(["lobby"]);
    await alice.command("/nick alicia");
    expect(alice.name).toBe("alicia");
    expect(names((await alice.who()).users)).toEqual(["alicia", "bob"]);
    expect(await alice.help()).toContain("/msg <name> <text>");
    await expect(alice.command("/dance")).rejects.toMatchObject({ code: ErrorCode.UnknownCommand });
    await expect(alice.command("/nick bob")).rejects.toMatchObject({ code: ErrorCode.NameTaken });
    await expect(alice.command("/join")).rejects.toMatchObject({ code: ErrorCode.InvalidMessage });
    await expect(alice.send("x".repeat(5000))).rejects.toMatchObject({ code: ErrorCode.TextTooLong });
    await expect(alice.direct("nobody", "hello?")).rejects.toMatchObject({ code: ErrorCode.NoSuchUser });
    await expect(alice.send("/nick zed")).rejects.toBeInstanceOf(HubbubError);
    expect(await alice.ping()).toBeGreaterThanOrEqual(0);
  });

  it("resolves a direct message to oneself, whose echo carries no ref", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice" });
    expect(await alice.direct("ALICE", "note to self")).toMatchObject({ text: "note to self", to: { name: "alice" } });
  });

  it("emits an event for every server frame type it receives", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice" });
    const seen = new Set<string>();
    for (const t of ["users", "ack", "direct", "history", "left", "notice", "error", "pong"] as const) alice.on(t, () => seen.add(t));
    await alice.send("x");
    await alice.direct("alice", "y");
    await alice.history("lobby");
    await alice.who();
    await alice.help();
    await alice.ping();
    await alice.join("den");
    await alice.leave("den");
    await alice.command("/nope").catch(() => {});
    expect([...seen].sort()).toEqual(["ack", "direct", "error", "history", "left", "notice", "pong", "users"]);
  });

  it("paces a burst of sends under the server's rate limit, so none is refused", async () => {
    // 250 at once is over the server's burst (2 x 100): unpaced, some would be refused.
    await using app = await startServer({ rateLimit: 100 });
    await using alice = await sdkClient(app, { name: "alice" });
    const acks = await Promise.all(Array.from({ length: 250 }, (_, i) => alice.send(`m${i}`)));
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it("is refused for good on a bad name or a name taken at first connect", async () => {
    await using app = await startServer();
    await using holder = await TestClient.join(app, { name: "alice" });
    await expect(sdkClient(app, { name: "alice" })).rejects.toMatchObject({ code: ClientErrorCode.Refused });
    await expect(sdkClient(app, { name: "no spaces" })).rejects.toMatchObject({ code: ClientErrorCode.Refused });
    void holder;
  });

  it("connects with a token to a server that requires one, and is refused for good without a valid one", async () => {
    const secret = "s".repeat(40);
    await using app = await startServer({ authSecret: secret });
    await using alice = await sdkClient(app, { token: await mintToken(secret, "u-alice", "alice", 60) });
    expect(alice.name).toBe("alice");
    await expect(sdkClient(app, { token: "not.a.token" })).rejects.toMatchObject({ code: ClientErrorCode.Refused });
    await expect(sdkClient(app, {})).rejects.toMatchObject({ code: ClientErrorCode.Refused });
  });

  it("fails pending work with `closed` after close(), and never reconnects", async () => {
    await using app = await startServer();
    const alice = await sdkClient(app, { name: "alice" });
    const states = record(alice).states;
    await alice.close();
    await expect(alice.send("late")).rejects.toMatchObject({ code: ClientErrorCode.Closed });
    await expect(alice.history("lobby")).rejects.toMatchObject({ code: ClientErrorCode.Closed });
    expect(states).toEqual(["offline"]);
    expect(app.hub.size).toBeLessThanOrEqual(1);
  });
});

describe("HubbubClient identity and paging", () => {
  it("keeps the user id across reconnects and connections, gives each connection its own conn id, and resumes with the latest token", async () => {
    await using app = await startServer({ presenceIntervalMs: 5 });
    const tokens: string[] = [];
    await using alice = await sdkClient(app, { name: "alice" });
    alice.on("resume", (t) => tokens.push(t));
    const { id, conn } = alice;
    expect(alice.resume).toBeString();
    // A second tab with the stored token is the same user: one entry in the list.
    await using tab2 = await sdkClient(app, { resume: alice.resume! });
    expect({ id: tab2.id, name: tab2.name }).toEqual({ id, name: "alice" });
    expect(tab2.conn).not.toBe(conn);
    expect(alice.users("lobby")).toEqual([{ id: id!, name: "alice" }]);
    // A rename in one tab reaches the other as `identity`, with a fresh token.
    const renamed = nextEvent(tab2, "name");
    expect(await alice.setName("alicia")).toBe("alicia");
    expect(await renamed).toBe("alicia");
    expect(tokens.length).toBe(1);
    expect(alice.resume).toBe(tokens[0]!);
    // A reconnect (this one evicted) comes back as the same user, with the new name.
    const back = nextEvent(alice, "state", (s) => s.state === "connected");
    evictConnection(app, alice);
    await back;
    expect({ id: alice.id, name: alice.name }).toEqual({ id, name: "alicia" });
    expect(alice.conn).not.toBe(conn);
    expect(names(alice.users("lobby"))).toEqual(["alicia"]);
  });

  it("gets a fresh guest identity for a forged resume token", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice" });
    const [payload] = alice.resume!.split(".");
    await using mallory = await sdkClient(app, { resume: `${payload}.forged` });
    expect(mallory.id).not.toBe(alice.id);
    expect(mallory.name).toStartWith("guest-");
  });

  it("offers a token as the bearer subprotocol beside hubbub.v2, never in the URL", async () => {
    const secret = "s".repeat(40);
    await using app = await startServer({ authSecret: secret });
    const seen: { url: string; protocols: string | string[] | undefined }[] = [];
    class Recording extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        seen.push({ url: String(url), protocols });
        super(url, protocols);
      }
    }
    const token = await mintToken(secret, "u-alice", "alice", 60);
    await using alice = await sdkClient(app, { token, WebSocket: Recording });
    expect(alice.id).toBe("u-alice");
    expect(seen[0]!.protocols).toEqual([BATCH_SUBPROTOCOL, SUBPROTOCOL, `bearer.${token}`]);
    expect(seen[0]!.url).not.toContain(token);
    expect(seen[0]!.url).not.toContain("token=");
  });

  it("normalises the room in who() and history(), which once returned [] for `Lobby`", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice" });
    await alice.send("hello");
    expect(names((await alice.who("Lobby")).users)).toEqual(["alice"]);
    expect((await alice.history("Lobby")).messages.map((m) => ("text" in m ? m.text : ""))).toEqual(["hello"]);
    expect(alice.users("LOBBY").length).toBe(1);
    await expect(alice.history("no such room!")).rejects.toMatchObject({ code: ErrorCode.InvalidRoom });
  });

  it("pages history backwards and forwards, and who() by cursor", async () => {
    await using app = await startServer();
    await using alice = await sdkClient(app, { name: "alice" });
    await using bob = await sdkClient(app, { name: "bob" });
    await using carol = await sdkClient(app, { name: "carol" });
    for (let i = 1; i <= 5; i++) await alice.send(`m${i}`);
    const newest = await alice.history("lobby", { limit: 2 });
    expect({ seqs: newest.messages.map((m) => m.seq), more: newest.more }).toEqual({ seqs: [4, 5], more: true });
    expect(newest.epoch).toBeString();
    const older = await alice.history("lobby", { before: 4, limit: 2 });
    expect({ seqs: older.messages.map((m) => m.seq), more: older.more }).toEqual({ seqs: [2, 3], more: true });
    const after = await alice.history("lobby", { after: 3 });
    expect({ seqs: after.messages.map((m) => m.seq), more: after.more }).toEqual({ seqs: [4, 5], more: false });
    const first = await alice.who(undefined, { limit: 2 });
    expect({ n: first.users.length, count: first.count }).toEqual({ n: 2, count: 3 });
    const rest = await alice.who("lobby", { after: first.next!, limit: 2 });
    expect(rest.next).toBeUndefined();
    expect(names([...first.users, ...rest.users])).toEqual(["alice", "bob", "carol"]);
  });

  it("recovers a long absence page by page: every missed message once, in order", async () => {
    await using app = await startServer({ rateLimit: 1000, historySize: 1000 });
    const gate = gatedWebSocket();
    await using alice = await sdkClient(app, { name: "alice", WebSocket: gate.WebSocket });
    const seen = record(alice);
    await using bob = await TestClient.join(app, { name: "bob" });
    const away = nextEvent(alice, "state", (s) => s.state === "reconnecting");
    gate.block();
    evictConnection(app, alice);
    await away;
    // More than one page (200) of messages while alice is away.
    for (let i = 0; i < 450; i++) bob.send({ type: "chat", text: `b${i}` });
    await bob.sync();
    const back = nextEvent(alice, "state", (s) => s.state === "connected");
    gate.unblock();
    await back;
    const got = await messagesIn(seen, alice, "lobby", 450);
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
  });
});
