// The SDK's recovery against a real server: restarts (history lost, seqs restarting at 1),
// evictions with sends in flight, dead links and announced shutdowns. Each test checks that
// nothing is lost, nothing is delivered twice, and every send resolves exactly once.
import { describe, expect, it } from "bun:test";
import { CloseCode, type HubbubClient } from "hubbub/client";
import { mintToken } from "../src/auth.ts";
import type { Published } from "../src/engine/engine.ts";
import type { MessageFrame } from "../src/shared/protocol.ts";
import type { App } from "../src/server.ts";
import { TestClient, spawnServer, startServer } from "./helpers.ts";
import { FAST_RECONNECT, gatedWebSocket, messagesIn, nextEvent, record, sdkClient } from "./sdk.ts";

const reconnecting = (c: HubbubClient) => nextEvent(c, "state", (s) => s.state === "reconnecting");
const connected = (c: HubbubClient, timeoutMs?: number) => nextEvent(c, "state", (s) => s.state === "connected", timeoutMs);

function evict(app: App, name: string): void {
  for (const s of app.hub.all()) if (s.name === name) s.evict(CloseCode.SlowConsumer);
}

/**
 * Makes the server evict `name` (and the gate keep it away) right after the broker published
 * its `n`th message, before the ack goes out. Retries the broker de-duplicates do not count;
 * the returned `duplicates` does.
 */
function evictAfterPublishing(app: App, name: string, n: number, gate: ReturnType<typeof gatedWebSocket>): { duplicates: number } {
  const broker = app.engine.broker;
  const publish = broker.publish.bind(broker);
  const seen = { duplicates: 0 };
  let published = 0;
  broker.publish = (room, draft, key) => {
    const after = (p: Published): Published => {
      if (draft.from.name === name && p.duplicate) seen.duplicates++;
      if (draft.from.name === name && !p.duplicate && ++published === n) {
        gate.block();
        evict(app, name);
      }
      return p;
    };
    const p = publish(room, draft, key);
    return p instanceof Promise ? p.then(after) : after(p);
  };
  return seen;
}

/** Every text appears exactly once, and seqs strictly increase. */
function expectExactlyOnce(seqs: number[], texts: string[], expected: string[]): void {
  expect([...texts].sort()).toEqual([...expected].sort());
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
}

describe("HubbubClient recovery", () => {
  it("survives a server restart: detects the reset, replays what it missed once, sends what it queued once", async () => {
    const first = await spawnServer({ PRESENCE_INTERVAL_MS: "5" });
    const port = String(first.port);
    const gate = gatedWebSocket();
    await using alice = await sdkClient(first, { name: "alice", rooms: ["lobby", "den"], WebSocket: gate.WebSocket });
    await using bob = await sdkClient(first, { name: "bob" });
    const seen = record(alice);
    const resets: string[] = [];
    alice.on("reset", (e) => resets.push(e.room));
    await bob.send("before 1");
    await bob.send("before 2");
    await alice.send("den before", "den");
    await messagesIn(seen, alice, "lobby", 2);

    gate.block();
    const down = Promise.all([reconnecting(alice), reconnecting(bob)]);
    first.proc.kill("SIGKILL");
    await first.exited;
    await down;
    const queued = [alice.send("while down 1"), alice.send("while down 2")];
    expect(alice.pending).toBe(2);

    await using second = await spawnServer({ PORT: port, PRESENCE_INTERVAL_MS: "5" });
    if (bob.state.state !== "connected") await connected(bob);
    // Three messages on the new server while alice is still away: seqs 1-3 again, so the
    // room's snapshot seq (3) is past what alice saw (2) and only the ids tell the reset.
    for (const t of ["after 1", "after 2", "after 3"]) await bob.send(t);
    const back = connected(alice);
    gate.unblock();
    await back;
    const acks = await Promise.all(queued);
    expect(acks.map((a) => [a.room, a.seq])).toEqual([["lobby", 4], ["lobby", 5]]);
    // den: its snapshot seq (0) is behind what alice saw (1); lobby: only the ids differ.
    expect(resets.sort()).toEqual(["den", "lobby"]);

    const lobby = await messagesIn(seen, alice, "lobby", 7);
    expect(lobby.map((m) => m.text)).toEqual(["before 1", "before 2", "after 1", "after 2", "after 3", "while down 1", "while down 2"]);
    // The new server holds each message once.
    await using carol = await TestClient.join(second.wsUrl, { name: "carol", since: "0" });
    expect((await carol.next("history")).messages.map((m) => (m as MessageFrame).text)).toEqual(["after 1", "after 2", "after 3", "while down 1", "while down 2"]);
  }, 15_000);

  it("after an eviction with sends in flight, settles every send exactly once and replays what others said", async () => {
    await using app = await startServer({ rateLimit: 1000, presenceIntervalMs: 5 });
    const gate = gatedWebSocket();
    await using alice = await sdkClient(app, { name: "alice", WebSocket: gate.WebSocket });
    await using bob = await TestClient.join(app, { name: "bob" });
    const seen = record(alice);
    // Evict alice from inside the server right after her third message is published, so its
    // ack is never sent and the frames behind it are in flight: some of those the server
    // still publishes, the rest it never reads.
    evictAfterPublishing(app, "alice", 3, gate);
    const away = reconnecting(alice);
    const texts = Array.from({ length: 10 }, (_, i) => `mine ${i}`);
    const sends = texts.map((t) => alice.send(t));
    const s = await away;
    expect(s.state === "reconnecting" && s.close.code).toBe(CloseCode.SlowConsumer);
    await bob.chat("said while alice was away");
    const back = connected(alice);
    gate.unblock();
    await back;
    const acks = await Promise.all(sends);

    const everything = [...texts, "said while alice was away"];
    await bob.count("message", everything.length);
    const onServer = bob.all("message");
    expectExactlyOnce(onServer.map((m) => m.seq), onServer.map((m) => m.text), everything);
    const seqOf = new Map(onServer.map((m) => [m.text, m.seq]));
    expect(acks.map((a) => a.seq)).toEqual(texts.map((t) => seqOf.get(t)!));
    const mine = await messagesIn(seen, alice, "lobby", everything.length);
    expectExactlyOnce(mine.map((m) => m.seq), mine.map((m) => m.text), everything);
  });

  // Code review 2026-12, defect 3: with tokens the user id is the same on every connection,
  // so sends in doubt were never matched again and hung forever. With cids they are re-sent
  // and the server answers each retry with the original ack.
  it("after an eviction with sends in flight, settles every send (token auth)", async () => {
    const secret = "s".repeat(40);
    await using app = await startServer({ rateLimit: 1000, presenceIntervalMs: 5, authSecret: secret });
    const gate = gatedWebSocket();
    const token = await mintToken(secret, "user-alice", "alice", 3600);
    await using alice = await sdkClient(app, { token, WebSocket: gate.WebSocket });
    const broker = evictAfterPublishing(app, "alice", 3, gate);
    const away = reconnecting(alice);
    const sends = Array.from({ length: 10 }, (_, i) => alice.send(`mine ${i}`));
    await away;
    const back = connected(alice);
    gate.unblock();
    await back;
    expect((await Promise.all(sends)).map((a) => a.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(alice.pending).toBe(0);
    // The third was published but never acked: its retry was answered from the cid.
    expect(broker.duplicates).toBeGreaterThanOrEqual(1);
    expect(alice.id).toBe("user-alice");
  });

  it("detects a dead link with app-level pings and reconnects when the server answers again", async () => {
    await using srv = await spawnServer();
    await using alice = await sdkClient(srv, { name: "alice", pingIntervalMs: 150, pongTimeoutMs: 250, connectTimeoutMs: 400 });
    const dead = reconnecting(alice);
    srv.proc.kill("SIGSTOP");
    const s = await dead;
    expect(s.state === "reconnecting" && s.close.reason).toBe("no answer to ping");
    const back = connected(alice, 10_000);
    srv.proc.kill("SIGCONT");
    await back;
    expect((await alice.send("alive again")).seq).toBe(1);
  }, 15_000);

  it("waits at least the server's retryAfterMs after a shutdown", async () => {
    await using srv = await spawnServer();
    await using alice = await sdkClient(srv, { name: "alice", reconnect: FAST_RECONNECT });
    const away = reconnecting(alice);
    srv.proc.kill("SIGTERM");
    const s = await away;
    if (s.state !== "reconnecting") throw new Error("unreachable");
    expect(s.close.code).toBe(CloseCode.GoingAway);
    expect(s.retryInMs).toBeGreaterThanOrEqual(1000);
    await alice.close();
  });
});
