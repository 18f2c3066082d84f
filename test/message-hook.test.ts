// The message hook (MESSAGE_HOOK_URL) against a real HTTP backend: allow, reject, replace, and a
// backend that does not answer in time, with MESSAGE_HOOK_FAIL open and closed.
import { describe, expect, it } from "bun:test";
import { Webhook } from "standardwebhooks";
import type { Config } from "../src/config.ts";
import { ErrorCode } from "../src/shared/codes.ts";
import { API_KEY, api } from "./api-helpers.ts";
import { TestClient, startServer } from "./helpers.ts";
import { TEST_WEBHOOK_SECRET } from "./webhook-receiver.ts";

interface Backend extends AsyncDisposable {
  url: string;
  /** The chats it was asked about (verified signatures only). */
  asked: { room: string; from: { id: string; name: string }; text: string }[];
  badSignatures: number;
}

/** A hook backend whose answer to each chat is `decide(text)`: a JSON answer, a status, or "hang". */
function backend(decide: (text: string) => unknown): Backend {
  const wh = new Webhook(TEST_WEBHOOK_SECRET);
  const hung: (() => void)[] = [];
  const b: Backend = {
    url: "",
    asked: [],
    badSignatures: 0,
    [Symbol.asyncDispose]: async () => {
      for (const h of hung) h();
      await server.stop(true);
    },
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      let data: Backend["asked"][number];
      try {
        data = (wh.verify(body, Object.fromEntries(req.headers)) as { type: string; data: Backend["asked"][number] }).data;
      } catch {
        b.badSignatures++;
        return new Response(null, { status: 400 });
      }
      b.asked.push(data);
      const answer = decide(data.text);
      if (answer === "hang") return new Promise<Response>((resolve) => hung.push(() => resolve(new Response(null, { status: 504 }))));
      if (typeof answer === "number") return new Response(null, { status: answer });
      return Response.json(answer);
    },
  });
  b.url = `http://127.0.0.1:${server.port}/check`;
  return b;
}

const withHook = (b: Backend, overrides: Partial<Config> = {}) =>
  startServer({ messageHookUrl: b.url, webhookSecret: TEST_WEBHOOK_SECRET, messageHookTimeoutMs: 200, apiKey: [API_KEY], ...overrides });

describe("message hook", () => {
  it("publishes what the backend allows, refuses what it rejects (with its reason), publishes its replacement", async () => {
    await using b = backend((text) =>
      text.includes("darn") ? { action: "replace", text: text.replaceAll("darn", "d**n") } : text.includes("spam") ? { action: "reject", reason: "no spam here" } : { action: "allow" },
    );
    await using app = await withHook(b);
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    await using bob = await TestClient.join(app, { name: "bob", room: "den" });
    expect((await alice.chat("hello")).seq).toBe(1);
    expect(await alice.request({ type: "chat", text: "buy spam" })).toMatchObject({ type: "error", code: ErrorCode.Rejected, message: "no spam here" });
    const ack = await alice.chat("darn it");
    expect(ack.seq).toBe(2);
    await bob.sync();
    expect(bob.all("message").map((m) => m.text)).toEqual(["hello", "d**n it"]);
    expect(b.asked.map((a) => a.text)).toEqual(["hello", "buy spam", "darn it"]);
    expect(b.asked[0]).toMatchObject({ room: "den", from: { id: alice.id, name: "alice" } });
    expect(b.badSignatures).toBe(0);
    // Requests stay in order while the hook is consulted: the connection's queue is serial.
    const refs = await Promise.all([alice.chat("one"), alice.chat("two"), alice.chat("three")]);
    expect(refs.map((a) => a.seq)).toEqual([3, 4, 5]);
  });

  it("does not consult the hook for the server API's own messages", async () => {
    await using b = backend(() => ({ action: "reject" }));
    await using app = await withHook(b);
    expect((await api(app, "POST", "/rooms/den/messages", { text: "maintenance at noon" })).status).toBe(201);
    expect(b.asked).toEqual([]);
  });

  it("with MESSAGE_HOOK_FAIL=open publishes the text as sent when the backend times out or fails", async () => {
    await using b = backend((text) => (text === "slow" ? "hang" : text === "broken" ? 500 : { action: "bogus" }));
    await using app = await withHook(b, { messageHookFail: "open" });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    expect((await alice.chat("slow")).seq).toBe(1);
    expect((await alice.chat("broken")).seq).toBe(2);
    expect((await alice.chat("odd answer")).seq).toBe(3);
    await alice.sync();
    expect(alice.all("message").map((m) => m.text)).toEqual(["slow", "broken", "odd answer"]);
  });

  it("with MESSAGE_HOOK_FAIL=closed refuses the message when the backend times out", async () => {
    await using b = backend(() => "hang");
    await using app = await withHook(b, { messageHookFail: "closed" });
    await using alice = await TestClient.join(app, { name: "alice", room: "den" });
    expect(await alice.request({ type: "chat", text: "anyone?" })).toMatchObject({ type: "error", code: ErrorCode.Unavailable });
    await alice.sync();
    expect(alice.all("message")).toEqual([]);
  });
});
