// The client SDK against a real server: every client frame has a method, every server frame
// an event, and the user lists track joins, renames and leaves.
import { describe, expect, it } from "bun:test";
import { ClientErrorCode, ErrorCode, HubbubError } from "hubbub/client";
import { mintToken } from "../src/auth.ts";
import { SHRUG } from "../src/shared/slash.ts";
import { TestClient, startServer } from "./helpers.ts";
import { messagesIn, nextEvent, record, sdkClient } from "./sdk.ts";

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
