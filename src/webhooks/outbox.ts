// The webhook outbox: events waiting to be delivered, in order, kept in SQLite so a restart
// loses nothing (DATA_DIR/webhooks.db; an in-memory database when DATA_DIR is empty). Its own
// file and its own small interface, so it can later move into a shared store without its
// callers noticing.
//
// Appends never wait for the disk: they collect in memory and are written by one transaction
// per event-loop turn (WAL, synchronous=NORMAL: a committed batch survives a crash of the
// process; BUN-NOTES.md measured ~100k rows/s that way). The queue is bounded: past `maxEvents`
// the oldest are deleted and counted as dropped. One process holds the file (an exclusive lock
// taken at open), so two servers on one DATA_DIR cannot both deliver the same events.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** One queued event: its position in the queue and its JSON, exactly as it will be sent. */
export interface QueuedEvent {
  seq: number;
  json: string;
  /** When it was queued (ms), for the delivery-latency metric. */
  queuedAt: number;
}

export interface Outbox {
  /** Queues events (JSON strings) at the tail. Synchronous and cheap; written to disk within a turn. */
  append(events: string[]): void;
  /** Up to `limit` of the oldest events, in order. */
  head(limit: number): QueuedEvent[];
  /** Removes every event up to and including `seq` (delivered, or given up on). */
  remove(upToSeq: number): void;
  /** Events waiting, written or not. */
  readonly size: number;
  /** Writes what is pending and closes the file. Idempotent. */
  close(): void;
}

/** The schema's version, kept in the database (PRAGMA user_version); migrations run forward at open. */
const SCHEMA_VERSION = 1;

export interface OutboxOptions {
  /** DATA_DIR; empty = in memory (nothing survives the process). */
  dataDir: string;
  /** WEBHOOK_QUEUE_SIZE. */
  maxEvents: number;
  /** How many oldest events were dropped to stay within maxEvents. */
  dropped(n: number): void;
  /** Events that could not be written (a full or failing disk) and are lost; chat goes on. */
  lost(n: number, err: unknown): void;
}

export class SqliteOutbox implements Outbox {
  private readonly db: Database;
  private pending: { json: string; at: number }[] = [];
  private flushing = false;
  private count: number;
  private closed = false;
  private readonly insert;
  private readonly select;
  private readonly deleteUpTo;

  constructor(private readonly opts: OutboxOptions) {
    let path = ":memory:";
    if (opts.dataDir) {
      mkdirSync(opts.dataDir, { recursive: true });
      path = join(opts.dataDir, "webhooks.db");
    }
    this.db = new Database(path, { create: true, strict: true });
    try {
      this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA locking_mode = EXCLUSIVE;");
      // The first write takes the exclusive lock for the life of this handle.
      this.db.exec("BEGIN EXCLUSIVE; COMMIT;");
    } catch (err) {
      this.db.close();
      throw new Error(`${path} is in use by another process (${(err as Error).message}): one server per DATA_DIR`);
    }
    this.migrate();
    this.insert = this.db.prepare("INSERT INTO events (json, queued_at) VALUES (?, ?)");
    this.select = this.db.prepare("SELECT seq, json, queued_at AS queuedAt FROM events ORDER BY seq LIMIT ?");
    this.deleteUpTo = this.db.prepare("DELETE FROM events WHERE seq <= ?");
    this.count = (this.db.query("SELECT count(*) AS n FROM events").get() as { n: number }).n;
  }

  private migrate(): void {
    const { user_version: v } = this.db.query("PRAGMA user_version").get() as { user_version: number };
    if (v > SCHEMA_VERSION) throw new Error(`webhooks.db has schema ${v}, newer than this server's ${SCHEMA_VERSION}`);
    if (v < 1) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL, queued_at INTEGER NOT NULL);
        PRAGMA user_version = 1;`);
    }
  }

  get size(): number {
    return this.count + this.pending.length;
  }

  append(events: string[]): void {
    if (this.closed || events.length === 0) return;
    const at = Date.now();
    for (const json of events) this.pending.push({ json, at });
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  /** One transaction for everything appended this turn, then the bound. */
  private flush(): void {
    this.flushing = false;
    if (this.closed || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const e of batch) this.insert.run(e.json, e.at);
      })();
    } catch (err) {
      // Runs from setImmediate: a throw would take the process down with it.
      this.opts.lost(batch.length, err);
      return;
    }
    this.count += batch.length;
    const over = this.count - this.opts.maxEvents;
    if (over > 0) {
      const cut = this.db.query("SELECT seq FROM events ORDER BY seq LIMIT 1 OFFSET ?").get(over - 1) as { seq: number } | null;
      if (cut) this.remove(cut.seq);
      this.opts.dropped(over);
    }
  }

  head(limit: number): QueuedEvent[] {
    this.flush();
    return this.select.all(limit) as QueuedEvent[];
  }

  remove(upToSeq: number): void {
    if (this.closed) return;
    this.count -= this.deleteUpTo.run(upToSeq).changes;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    // Statements first: a handle with live statements closes only once they are gone, and the
    // exclusive lock would outlive close() (a restarted server could not open the file).
    for (const st of [this.insert, this.select, this.deleteUpTo]) st.finalize();
    this.db.close(true);
  }
}
