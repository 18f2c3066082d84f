// The durable store (STORE=sqlite) on its own, over real files in temp directories: what a
// restart keeps, migrations, the refusals at start-up, and retention.
import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageDraft } from "../src/engine/engine.ts";
import { MemoryEngine } from "../src/engine/memory.ts";
import { DB_FILE } from "../src/engine/sqlite-open.ts";
import { SCHEMA_VERSION, migrate, schemaVersion } from "../src/engine/sqlite-schema.ts";
import { SqliteStream } from "../src/engine/sqlite-stream.ts";
import { silentLogger } from "../src/log.ts";
import type { Member } from "../src/shared/protocol.ts";
import { RecordingSink } from "./engine-contract.ts";
import { tempDir } from "./helpers.ts";

const alice: Member = { id: "a11ce0000001", name: "alice" };
const bob: Member = { id: "b0b000000002", name: "bob" };
let n = 0;
const draft = (text: string, from = alice, ts = Date.now()): MessageDraft => ({ id: `d-${++n}`, ts, from, kind: "text", text });

function open(dir: string, opts: { retention?: number; maxAgeMs?: number } = {}): SqliteStream {
  return new SqliteStream({ dir, retention: opts.retention ?? 0, maxAgeMs: opts.maxAgeMs ?? 0, log: silentLogger });
}

async function engineOn(dir: string, opts: { retention?: number; maxAgeMs?: number } = {}) {
  const stream = open(dir, opts);
  const engine = new MemoryEngine({ historySize: 0, stream });
  const sink = new RecordingSink();
  await engine.start(sink);
  return { engine, stream, sink, [Symbol.asyncDispose]: () => engine.close() };
}

describe("SqliteStream across a restart", () => {
  it("keeps every room's seq, epoch, messages and their current state, and numbers on", async () => {
    using dir = tempDir();
    let epoch: string;
    {
      await using a = await engineOn(dir.path);
      const m1 = (await a.engine.broker.publish("den", draft("hello"))).message;
      await a.engine.broker.publish("den", draft("world", bob));
      await a.engine.broker.publish("other", draft("elsewhere"));
      await a.engine.broker.apply("den", { type: "edit", id: m1.id, ts: Date.now(), by: alice, text: "hello, edited" });
      await a.engine.broker.apply("den", { type: "react", id: m1.id, ts: Date.now(), by: bob, emoji: "👍", on: true });
      epoch = a.engine.history.position("den").epoch;
    }
    await using b = await engineOn(dir.path);
    expect(b.engine.history.position("den")).toEqual({ seq: 4, epoch });
    expect(b.engine.history.position("other")).toEqual({ seq: 1, epoch });
    const page = await b.engine.history.page("den", { after: 0, limit: 10 });
    expect(page.messages.map((e) => e.type)).toEqual(["message", "message", "edited", "reaction"]);
    expect(page.messages[0]).toMatchObject({ seq: 1, text: "hello, edited", edited: expect.any(Number), reactions: { "👍": [bob.id] } });
    expect((await b.engine.broker.publish("den", draft("after the restart"))).message.seq).toBe(5);
    // A room never used is told the database's epoch, which its first message keeps.
    expect(b.engine.history.position("new-room").epoch).toBe(epoch);
  });

  it("answers a send retried across a restart with its original message", async () => {
    using dir = tempDir();
    const key = { userId: alice.id, cid: "c-1" };
    let first;
    {
      await using a = await engineOn(dir.path);
      first = (await a.engine.broker.publish("den", draft("once"), key)).message;
    }
    await using b = await engineOn(dir.path);
    expect(await b.engine.broker.publish("den", draft("once, again"), key)).toEqual({ message: first, duplicate: true });
    expect(b.engine.history.position("den").seq).toBe(1);
  });

  it("answers two sends with one cid in the same batch with one message", async () => {
    using dir = tempDir();
    await using a = await engineOn(dir.path);
    const key = { userId: alice.id, cid: "same" };
    const [x, y] = await Promise.all([a.engine.broker.publish("den", draft("one"), key), a.engine.broker.publish("den", draft("two"), key)]);
    expect(x.duplicate).toBe(false);
    expect(y).toEqual({ message: x.message, duplicate: true });
    expect(a.sink.messages("den")).toHaveLength(1);
  });
});

describe("SqliteStream schema", () => {
  it("migrates a database of the first schema version through every step and keeps its messages", async () => {
    using dir = tempDir();
    const file = join(dir.path, DB_FILE);
    const old = new Database(file, { create: true, strict: true });
    migrate(old, file, 1);
    old.query("INSERT INTO rooms (id, name, epoch, seq) VALUES (1, 'den', 'oldepoch00000001', 2)").run();
    const row = "INSERT INTO messages (room, seq, id, ts, from_id, from_name, kind, text) VALUES (1, ?, ?, ?, ?, ?, 'text', ?)";
    old.query(row).run(1, "m-1", 1000, alice.id, alice.name, "from the old schema");
    old.query(row).run(2, "m-2", 2000, bob.id, bob.name, "me too");
    old.close();

    await using a = await engineOn(dir.path);
    expect(a.engine.history.position("den")).toEqual({ seq: 2, epoch: "oldepoch00000001" });
    const page = await a.engine.history.page("den", { limit: 10 });
    expect(page.messages).toEqual([
      { type: "message", room: "den", seq: 1, id: "m-1", ts: 1000, from: alice, kind: "text", text: "from the old schema" },
      { type: "message", room: "den", seq: 2, id: "m-2", ts: 2000, from: bob, kind: "text", text: "me too" },
    ]);
    expect((await a.engine.broker.apply("den", { type: "delete", id: "m-1", ts: 3000, by: alice })).ok).toBe(true);
    expect((await a.engine.broker.publish("den", draft("new"))).message.seq).toBe(4);
    await a.engine.close();
    const check = new Database(file, { readonly: true });
    expect(schemaVersion(check)).toBe(SCHEMA_VERSION);
    expect(check.query("SELECT count(*) AS n FROM read_markers").get()).toEqual({ n: 0 });
    check.close();
  });

  it("refuses a database newer than this code with one line, and leaves the directory free", async () => {
    using dir = tempDir();
    await open(dir.path).close();
    const file = join(dir.path, DB_FILE);
    const db = new Database(file);
    db.exec(`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open(dir.path)).toThrow(`has schema version ${SCHEMA_VERSION + 1}, newer than this Hubbub understands (${SCHEMA_VERSION})`);
    const fixed = new Database(file);
    fixed.exec(`UPDATE schema_version SET version = ${SCHEMA_VERSION}`);
    fixed.close();
    await open(dir.path).close();
  });
});

describe("SqliteStream start-up refusals", () => {
  it("refuses a data directory another server in this process holds, until it closes", async () => {
    using dir = tempDir();
    const first = open(dir.path);
    expect(() => open(dir.path)).toThrow(/in use by another Hubbub in this process/);
    await first.close();
    await open(dir.path).close();
  });

  it("refuses a data directory whose lock a live process holds, and takes over a dead one's", async () => {
    using dir = tempDir();
    const lock = join(dir.path, "hubbub.lock");
    writeFileSync(lock, `${process.ppid}\n`);
    expect(() => open(dir.path)).toThrow(`data directory ${dir.path} is in use by another Hubbub (pid ${process.ppid})`);
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    writeFileSync(lock, `${gone.pid}\n`);
    await open(dir.path).close();
  });

  it("refuses a data directory that cannot be created or written, with one line", () => {
    using dir = tempDir();
    const file = join(dir.path, "a-file");
    writeFileSync(file, "not a directory");
    expect(() => open(join(file, "data"))).toThrow(/^cannot create data directory .*a-file\/data \(ENOTDIR\); set DATA_DIR to a writable directory$/);
    // A directory that exists but takes no files, even for root (CI runs as root): sysfs.
    if (process.platform === "linux") expect(() => open("/sys")).toThrow("data directory /sys is not writable (EACCES); set DATA_DIR to a writable directory");
    // Permissions bind everyone but root.
    if (process.getuid?.() !== 0) {
      const ro = join(dir.path, "read-only");
      Bun.spawnSync(["mkdir", ro]);
      chmodSync(ro, 0o500);
      expect(() => open(ro)).toThrow(/is not writable \(EACCES\)/);
    }
  });
});

describe("SqliteStream retention", () => {
  it("keeps the newest HISTORY_RETENTION messages per room, and the seq numbers on", async () => {
    using dir = tempDir();
    await using a = await engineOn(dir.path, { retention: 3 });
    for (let i = 1; i <= 6; i++) await a.engine.broker.publish("den", draft(`m${i}`));
    const m6 = (await a.engine.history.page("den", { limit: 1 })).messages[0]!;
    await a.engine.broker.apply("den", { type: "react", id: m6.id, ts: Date.now(), by: bob, emoji: "👍", on: true });
    for (let i = 1; i <= 2; i++) await a.engine.broker.publish("small", draft(`s${i}`));
    // (The background pass may have run already: what is kept is what counts.)
    await a.stream.retain();
    const page = await a.engine.history.page("den", { limit: 10 });
    expect(page.messages.map((m) => (m as { text: string }).text)).toEqual(["m4", "m5", "m6"]);
    expect(page.more).toBe(false);
    expect((await a.engine.history.page("small", { limit: 10 })).messages).toHaveLength(2);
    expect((await a.engine.broker.publish("den", draft("m8"))).message.seq).toBe(8);
  });

  it("drops entries older than HISTORY_MAX_AGE, keeping the room's seq and epoch", async () => {
    using dir = tempDir();
    const now = Date.now();
    {
      await using a = await engineOn(dir.path, { maxAgeMs: 60_000 });
      await a.engine.broker.publish("den", draft("ancient", alice, now - 3_600_000));
      await a.engine.broker.publish("den", draft("old", alice, now - 120_000));
      await a.engine.broker.publish("den", draft("fresh", alice, now - 1000));
      await a.engine.broker.publish("gone", draft("all old", alice, now - 120_000));
      await a.stream.retain(now);
      expect((await a.engine.history.page("den", { after: 0, limit: 10 })).messages.map((m) => m.seq)).toEqual([3]);
      expect(a.engine.history.position("gone").seq).toBe(1);
    }
    // A room trimmed empty numbers on after a restart too.
    await using b = await engineOn(dir.path, { maxAgeMs: 60_000 });
    expect(b.engine.history.position("gone").seq).toBe(1);
    expect((await b.engine.broker.publish("gone", draft("new"))).message.seq).toBe(2);
    expect((await b.engine.broker.publish("den", draft("newer"))).message.seq).toBe(4);
  });
});
