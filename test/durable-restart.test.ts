// The durable default across process deaths: servers as child processes on one data directory,
// killed with SIGKILL mid-load or stopped with SIGTERM, then started again on it.
import { describe, expect, it } from "bun:test";
import type { AckFrame, MessageFrame, StreamEntry } from "../src/shared/protocol.ts";
import { TestClient, spawnServer, tempDir, type ChildServer } from "./helpers.ts";
import { FAST_RECONNECT, gatedWebSocket, messagesIn, nextEvent, record, sdkClient } from "./sdk.ts";

const env = (dir: string, extra: Record<string, string> = {}) => ({ DATA_DIR: dir, RATE_LIMIT: "100000", PRESENCE_INTERVAL_MS: "5", ...extra });

/** Every stream entry the server holds for `room`, paged forward from the start. */
async function everything(c: TestClient, room: string): Promise<StreamEntry[]> {
  const out: StreamEntry[] = [];
  for (;;) {
    const page = await c.request({ type: "history", room, after: out.at(-1)?.seq ?? 0, limit: 200 });
    if (page.type !== "history") throw new Error(`history failed: ${JSON.stringify(page)}`);
    out.push(...page.messages);
    if (!page.more) return out;
  }
}

describe("durable rooms across process deaths", () => {
  it("loses no acknowledged message to SIGKILL under load, and numbers on after it", async () => {
    using dir = tempDir();
    let epoch: string;
    const acked: AckFrame[] = [];
    const received = new Map<number, string>();
    {
      await using first = await spawnServer(env(dir.path));
      const clients = await Promise.all(["ann", "ben", "cat"].map((name) => TestClient.join(first.wsUrl, { name, room: "load" })));
      epoch = clients[0]!.epoch;
      // Each client keeps 20 chats in flight; the kill lands wherever they are, from inside the
      // handler of the 600th ack.
      let killed = false;
      const pump = (c: TestClient, k: number) => {
        let i = 0;
        let inflight = 0;
        const fill = () => {
          for (; !killed && inflight < 20; i++, inflight++) c.send({ type: "chat", text: `${k}-${i}`, ref: `${k}-${i}` });
        };
        c.ws.addEventListener("message", (e) => {
          const f = JSON.parse(String(e.data));
          if (f.type === "message") received.set(f.seq, f.id);
          if (f.type !== "ack") return;
          acked.push(f);
          inflight--;
          if (acked.length >= 600 && !killed) {
            killed = true;
            first.proc.kill("SIGKILL");
          }
          fill();
        });
        fill();
      };
      clients.forEach(pump);
      await first.exited;
      await Promise.all(clients.map((c) => c.closed));
    }
    expect(acked.length).toBeGreaterThanOrEqual(600);

    await using second = await spawnServer(env(dir.path));
    await using reader = await TestClient.join(second.wsUrl, { name: "reader", room: "load" });
    expect(reader.epoch).toBe(epoch);
    const kept = (await everything(reader, "load")) as MessageFrame[];
    const seqs = kept.map((m) => m.seq);
    // Gapless from 1, each once, in order.
    expect(seqs).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
    const byId = new Map(kept.map((m) => [m.id, m.seq]));
    for (const a of acked) expect(byId.get(a.id)).toBe(a.seq);
    // Nothing a member received is missing (delivery only after commit).
    for (const [seq, id] of received) expect(byId.get(id)).toBe(seq);
    const next = await reader.chat("after the crash");
    expect(next.seq).toBe(kept.length + 1);
    // A client that saw part of the stream recovers the rest, in the same epoch.
    const since = Math.min(...acked.map((a) => a.seq));
    await using back = await TestClient.connect(second.wsUrl, { name: "ann", room: "load", since: String(since), epoch });
    const replay = await back.next("history");
    expect(replay.recovered).toBe(true);
    expect(replay.messages[0]?.seq).toBe(since + 1);
  }, 30_000);

  it("after SIGTERM and a restart, the SDK replays exactly what it missed", async () => {
    using dir = tempDir();
    const first: ChildServer = await spawnServer(env(dir.path));
    const port = String(first.port);
    const gate = gatedWebSocket();
    await using alice = await sdkClient(first, { name: "alice", rooms: ["den"], WebSocket: gate.WebSocket, reconnect: FAST_RECONNECT });
    const seen = record(alice);
    const resets: string[] = [];
    alice.on("reset", (e) => resets.push(e.room));
    for (const t of ["one", "two", "three"]) await alice.send(t);
    await messagesIn(seen, alice, "den", 3);

    gate.block();
    const away = nextEvent(alice, "state", (s) => s.state === "reconnecting");
    first.proc.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    await away;

    await using second = await spawnServer(env(dir.path, { PORT: port }));
    await using bob = await TestClient.join(second.wsUrl, { name: "bob", room: "den" });
    await bob.chat("missed 1");
    await bob.chat("missed 2");
    const back = nextEvent(alice, "state", (s) => s.state === "connected", 10_000);
    gate.unblock();
    await back;
    const all = await messagesIn(seen, alice, "den", 5);
    expect(all.map((m) => `${m.seq}:${m.text}`)).toEqual(["1:one", "2:two", "3:three", "4:missed 1", "5:missed 2"]);
    expect(resets).toEqual([]);
    expect(alice.messages("den").map((m) => m.text)).toEqual(["one", "two", "three", "missed 1", "missed 2"]);
  }, 30_000);

  it("refuses to start on a data directory another Hubbub is running on, with one line", async () => {
    using dir = tempDir();
    await using running = await spawnServer(env(dir.path));
    const second = Bun.spawn([process.execPath, "src/index.ts"], {
      cwd: `${import.meta.dir}/..`,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dir.path },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await second.exited).toBe(1);
    const err = (await new Response(second.stderr).text()).trim();
    expect(err).toBe(`hubbub: cannot start: data directory ${dir.path} is in use by another Hubbub (pid ${running.proc.pid}); stop it or set another DATA_DIR`);
    expect(err.split("\n")).toHaveLength(1);
  }, 15_000);
});
