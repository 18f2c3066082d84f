// Protocol v2's rule: a client frame with a `ref` gets exactly one reply carrying that ref — its
// natural answer, an `error`, or `ok` — whatever the frame and whether it succeeded.
import { describe, expect, it } from "bun:test";
import { ErrorCode } from "../src/shared/codes.ts";
import type { ServerFrame } from "../src/shared/protocol.ts";
import { startServer, TestClient } from "./helpers.ts";

/** Sends `frame` with `ref`, waits for a later ping's pong, and returns every frame that carried the ref. */
async function repliesTo(c: TestClient, frame: Record<string, unknown>, ref: string | number): Promise<ServerFrame[]> {
  const from = c.log.length;
  c.send({ ...frame, ref });
  await c.sync();
  return c.log.slice(from).filter((f) => (f as { ref?: unknown }).ref === ref);
}

describe("one reply per ref", () => {
  const cases: [string, Record<string, unknown>, Partial<ServerFrame>][] = [
    ["chat → ack", { type: "chat", text: "hi" }, { type: "ack", room: "lobby" }],
    ["/me → ack", { type: "chat", text: "/me waves" }, { type: "ack" }],
    ["/shrug → ack", { type: "chat", text: "/shrug" }, { type: "ack" }],
    ["direct → the sender's copy", { type: "direct", to: "bob", text: "psst" }, { type: "direct", text: "psst" }],
    ["/msg → the sender's copy", { type: "chat", text: "/msg bob hey" }, { type: "direct", text: "hey" }],
    ["join → users", { type: "join", room: "games" }, { type: "users", room: "games" }],
    ["/join → users", { type: "chat", text: "/join games" }, { type: "users", room: "games" }],
    ["join again → users", { type: "join", room: "lobby" }, { type: "users", room: "lobby" }],
    ["who → users", { type: "who", room: "lobby" }, { type: "users", room: "lobby", count: 2 }],
    ["/who → users", { type: "chat", text: "/who" }, { type: "users", room: "lobby" }],
    ["history → history", { type: "history", room: "lobby" }, { type: "history", room: "lobby" }],
    ["ping → pong", { type: "ping" }, { type: "pong" }],
    ["nick → identity", { type: "nick", name: "alicia" }, { type: "identity", name: "alicia" }],
    ["/nick → identity", { type: "chat", text: "/nick alicia" }, { type: "identity", name: "alicia" }],
    ["/help → notice", { type: "chat", text: "/help" }, { type: "notice" }],
    ["leave → left", { type: "leave", room: "lobby" }, { type: "left", room: "lobby" }],
    ["/leave → left", { type: "chat", text: "/leave" }, { type: "left", room: "lobby" }],
    ["a bad room → error", { type: "join", room: "no spaces!" }, { type: "error", code: ErrorCode.InvalidRoom }],
    ["not in the room → error", { type: "history", room: "elsewhere" }, { type: "error", code: ErrorCode.NotInRoom }],
    ["nobody by that name → error", { type: "direct", to: "carol", text: "hi" }, { type: "error", code: ErrorCode.NoSuchUser }],
    ["a taken name → error", { type: "nick", name: "BOB" }, { type: "error", code: ErrorCode.NameTaken }],
    ["an unknown command → error", { type: "chat", text: "/frobnicate" }, { type: "error", code: ErrorCode.UnknownCommand }],
    ["a bad field → error", { type: "who", room: "lobby", limit: 5000 }, { type: "error", code: ErrorCode.InvalidMessage }],
    ["both cursors → error", { type: "history", room: "lobby", before: 5, after: 1 }, { type: "error", code: ErrorCode.InvalidMessage }],
    ["an unknown type → error", { type: "frobnicate" }, { type: "error", code: ErrorCode.UnknownType }],
  ];
  for (const [name, frame, expected] of cases) {
    it(name, async () => {
      await using app = await startServer();
      await using a = await TestClient.join(app, { name: "alice" });
      await using _b = await TestClient.join(app, { name: "bob" });
      for (const ref of ["r-1", 7]) {
        const replies = await repliesTo(a, frame, ref);
        expect(replies).toHaveLength(1);
        expect(replies[0]).toMatchObject(expected as Record<string, unknown>);
        // Some cases change state (a leave, a rename): run each case's second ref on a fresh footing.
        if (expected.type === "left" || expected.type === "identity") break;
      }
    });
  }

  it("answers a request refused by its rate limit with an error carrying its ref", async () => {
    await using app = await startServer({ requestRateLimit: 1 });
    await using a = await TestClient.join(app, { name: "alice" });
    const refs = ["a", "b", "c", "d"];
    for (const ref of refs) a.send({ type: "who", room: "lobby", ref });
    for (const ref of refs.slice(0, 2)) expect(await a.next((f) => (f as { ref?: string }).ref === ref)).toMatchObject({ type: "users" });
    for (const ref of refs.slice(2)) expect(await a.next((f) => (f as { ref?: string }).ref === ref)).toMatchObject({ type: "error", code: ErrorCode.RateLimited });
  });
});
