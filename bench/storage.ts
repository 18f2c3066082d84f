// `bun run bench:storage`: what the durable store (STORE=sqlite) costs on its own, beside
// STORE=memory where that means anything. Prints markdown; docs/benchmarks.md quotes it.
//   bytes on disk per stored message        (100,000 messages in 100 rooms, after a checkpoint)
//   start-up with 1,000,000 stored messages (spawn → "listening", beside an empty DATA_DIR)
//   max sustained messages/s into a room of 10 members (10 senders, 32 in flight each)
//   CPU per message published, in process: the marginal cost of durability without sockets
// Usage: bun bench/storage.ts [--messages 1000000] [--seconds 5]
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MemoryEngine } from "../src/engine/memory.ts";
import { MemoryStream } from "../src/engine/memory-stream.ts";
import { SqliteStream } from "../src/engine/sqlite-stream.ts";
import type { StreamStore } from "../src/engine/stream-store.ts";
import { silentLogger } from "../src/log.ts";
import { TestClient } from "../test/helpers.ts";
import { spawnServer } from "./proc.ts";

const { values: args } = parseArgs({ options: { messages: { type: "string" }, seconds: { type: "string" } } });
const STARTUP_MESSAGES = Number(args.messages ?? 1_000_000);
const SECONDS = Number(args.seconds ?? 5);
const log = (s: string) => process.stderr.write(`${s}\n`);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "hubbub-storage-"));
  dirs.push(d);
  return d;
};
const text = (i: number) => `message number ${i}: a line of chat about as long as most are`;

/** Fills DATA_DIR/hubbub.db with `n` messages in `rooms` rooms, straight into the schema the server made. */
async function fill(dir: string, n: number, rooms: number): Promise<void> {
  await new SqliteStream({ dir, retention: 0, maxAgeMs: 0, log: silentLogger }).close();
  const db = new Database(join(dir, "hubbub.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  const epoch = (db.query("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
  const perRoom = Math.ceil(n / rooms);
  const room = db.prepare("INSERT INTO rooms (id, name, epoch, seq) VALUES (?, ?, ?, ?)");
  const insert = db.prepare("INSERT INTO entries (room, seq, type, id, ts, user_id, user_name, kind, text, cid) VALUES (?, ?, 0, ?, ?, ?, ?, 'text', ?, ?)");
  const now = Date.now() - n;
  for (let r = 1; r <= rooms; r++) {
    const count = Math.min(perRoom, n - (r - 1) * perRoom);
    db.transaction(() => {
      room.run(r, `room-${r}`, epoch, count);
      for (let s = 1; s <= count; s++) insert.run(r, s, `n0-${r}-${s}`, now + s, `user${s % 50}`, `user${s % 50}`, text(s), `c-${r}-${s}`);
    })();
  }
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

/** Spawn to "listening", without the warm-up (WARMUP=0): what opening the database costs. */
async function startupMs(dir: string): Promise<number> {
  const t0 = performance.now();
  await using server = await spawnServer({ DATA_DIR: dir, STORE: "sqlite", WARMUP: "0" });
  const ms = performance.now() - t0;
  void server;
  return ms;
}

/** 10 members of one room, each sending with 32 in flight, for SECONDS: acked messages per second. */
async function maxRate(env: Record<string, string>): Promise<{ perSec: number; deliveredOk: boolean }> {
  await using server = await spawnServer({ RATE_LIMIT: "1000000", ...env });
  const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => TestClient.join(server.wsUrl, { name: `s${i}`, room: "ten" })));
  let acked = 0;
  let delivered = 0;
  let running = true;
  for (const [k, c] of clients.entries()) {
    let i = 0;
    const send = () => c.send({ type: "chat", text: text(i), ref: `${k}-${i++}` });
    c.ws.addEventListener("message", (e) => {
      const t = String(e.data);
      if (t.startsWith('{"type":"ack"')) {
        acked++;
        if (running) send();
      } else if (t.startsWith('{"type":"message"')) delivered++;
    });
    for (let j = 0; j < 32; j++) send();
  }
  await Bun.sleep(1000); // warm up
  const a0 = acked;
  const t0 = performance.now();
  await Bun.sleep(SECONDS * 1000);
  const perSec = (acked - a0) / ((performance.now() - t0) / 1000);
  running = false;
  await Bun.sleep(500);
  const ok = delivered === acked * 10;
  for (const c of clients) c.ws.close();
  return { perSec, deliveredOk: ok };
}

/**
 * CPU (user + system, so other load on the machine does not count) per message published into
 * a store and delivered to a no-op sink, `perTurn` messages per event-loop turn (5,000 rooms ×
 * 1 msg/s arrive a few per turn). The marginal cost of durability, without sockets.
 */
async function cpuPerMessageUs(stream: StreamStore, perTurn: number, total = 20_000): Promise<number> {
  const engine = new MemoryEngine({ historySize: 100, stream });
  await engine.start({ publishRoom() {}, sendToUser() {}, presence() {}, control() {}, restarted() {} });
  const from = { id: "u1", name: "u1" };
  // Arrivals do not wait for each other's commits (they come from different connections).
  const run = async (n: number) => {
    const all = [];
    for (let i = 0; i < n; i += perTurn) {
      for (let j = 0; j < perTurn; j++) all.push(engine.broker.publish(`room-${(i + j) % 5000}`, { id: `m${i + j}`, ts: Date.now(), from, kind: "text", text: text(i + j) }, { userId: "u1", cid: `c${i + j}` }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
  };
  await run(2000); // warm up
  const c0 = process.cpuUsage();
  await run(total);
  const c = process.cpuUsage(c0);
  await engine.close();
  return (c.user + c.system) / total;
}

const out: string[] = ["| measure | STORE=sqlite | STORE=memory |", "|---|---|---|"];

log("CPU per stored message, in process");
for (const perTurn of [1, 5, 50]) {
  const sqlite = await cpuPerMessageUs(new SqliteStream({ dir: tempDir(), retention: 10_000, maxAgeMs: 0, log: silentLogger }), perTurn);
  const memory = await cpuPerMessageUs(new MemoryStream(100), perTurn);
  out.push(`| CPU per message published (in process, no sockets), ${perTurn} per event-loop turn | ${sqlite.toFixed(1)} µs | ${memory.toFixed(1)} µs |`);
}

log("bytes on disk per message: 100,000 messages");
{
  const dir = tempDir();
  await fill(dir, 100_000, 100);
  const bytes = statSync(join(dir, "hubbub.db")).size;
  out.push(`| bytes on disk per stored message (100k messages of ${text(1).length} characters, 100 rooms) | ${(bytes / 100_000).toFixed(0)} | – |`);
}

log(`start-up with ${STARTUP_MESSAGES.toLocaleString()} stored messages`);
{
  const empty = tempDir();
  const full = tempDir();
  await fill(full, STARTUP_MESSAGES, 1000);
  const emptyMs = await startupMs(empty);
  const fullMs = await startupMs(full);
  out.push(`| start-up (spawn → listening), empty DATA_DIR | ${emptyMs.toFixed(0)} ms | – |`);
  out.push(`| start-up with ${STARTUP_MESSAGES.toLocaleString()} stored messages in 1,000 rooms | ${fullMs.toFixed(0)} ms | – |`);
}

log("max sustained messages/s into a room of 10");
{
  const sqlite = await maxRate({ DATA_DIR: tempDir(), STORE: "sqlite" });
  const memory = await maxRate({ STORE: "memory" });
  out.push(`| max messages/s into one room of 10 (10 senders, 32 in flight each; WAL, synchronous=NORMAL) | ${sqlite.perSec.toFixed(0)}${sqlite.deliveredOk ? "" : " (deliveries short!)"} | ${memory.perSec.toFixed(0)}${memory.deliveredOk ? "" : " (deliveries short!)"} |`);
}

for (const d of dirs) rmSync(d, { recursive: true, force: true });
console.log(out.join("\n"));
process.exit(0);
