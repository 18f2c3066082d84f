// SqliteStream: the durable StreamStore (STORE=sqlite), every room's stream in DATA_DIR/hubbub.db
// (schema in sqlite-schema.ts, opening and locking in sqlite-open.ts, trimming in
// sqlite-retention.ts).
//
// Group commit. publish() and apply() queue their work; at the end of the event-loop turn, or
// when COMMIT_WINDOW_MS has passed since the last commit, the queue is written in one transaction: each entry gets its room's next seq only there, so a
// change that turns out void (its message deleted earlier in the same batch) takes no seq. Only
// after COMMIT are the entries handed to `deliver`, in seq order, and then the callers resolve
// (so an ack means committed, and no member ever holds an entry a crash could lose). If the
// commit fails, every caller in the batch is rejected and the rooms' seqs go back to what is
// committed: nothing was delivered, so nobody saw the seqs that are handed out again.
//
// What lives in memory: each stored room's row (id, seq, epoch; the seq is its newest entry's,
// saved to `rooms` only before retention deletes entries and at close), and the SendKeys of the last
// IDEMPOTENCY_WINDOW_MS (reloaded from the database at start-up, so a client retrying across a
// restart is still answered with its original ack). Reads go to the database: they are
// synchronous, indexed, and see only committed entries.
import { SqliteReadMarkers } from "./sqlite-markers.ts";
import { SqliteRoomStates } from "./sqlite-room-states.ts";
import type { Database, Statement } from "bun:sqlite";
import { CidCache } from "../cid-cache.ts";
import type { Logger } from "../log.ts";
import type { Member, MessageFrame, MessageKind, StreamEntry, StreamEvent } from "../shared/protocol.ts";
import { encode } from "../shared/protocol.ts";
import { applyEvent, hasReacted } from "../shared/stream.ts";
import { IDEMPOTENCY_WINDOW_MS, type Applied, type EventDraft, type HistoryPage, type HistoryQuery, type MessageDraft, type Published, type SendKey, type StreamPosition } from "./engine.ts";
import { openDatabase, type OpenedDatabase } from "./sqlite-open.ts";
import { Retention, type RetentionOptions } from "./sqlite-retention.ts";
import { EntryType } from "./sqlite-schema.ts";
import { eventFrame, type Deliver, type StreamStore } from "./stream-store.ts";

export interface SqliteStreamOptions extends RetentionOptions {
  /** DATA_DIR: holds hubbub.db. */
  dir: string;
  log: Logger;
}

interface RoomRow {
  id: number;
  seq: number;
  epoch: string;
  /** The seq last written to `rooms`. */
  saved: number;
}

/** One row of `entries`, as read. */
interface EntryRow {
  seq: number;
  type: number;
  id: string;
  ts: number;
  user_id: string;
  user_name: string;
  kind: string | null;
  text: string;
  cid: string | null;
  edited: number | null;
  deleted: number | null;
  reactions: string | null;
}

type Op =
  | { kind: "message"; room: string; draft: MessageDraft; key?: SendKey; resolve(p: Published): void; reject(err: unknown): void }
  | { kind: "event"; room: string; draft: EventDraft; resolve(a: Applied): void; reject(err: unknown): void };

/** What one op came to inside a batch: an entry to deliver after the commit (or none). */
interface Outcome {
  entry: StreamEntry | null;
  settle(): void;
}

/**
 * At most one commit per this many ms. A quiet server commits at the end of the event-loop turn
 * (no added latency); a busy one gathers what arrives within the window into one transaction,
 * because a commit costs about as much as sixty inserts (docs/benchmarks.md): 5,000 messages/s
 * spread evenly would otherwise be 5,000 commits/s.
 */
export const COMMIT_WINDOW_MS = 2;

const COLUMNS = "seq, type, id, ts, user_id, user_name, kind, text, cid, edited, deleted, reactions";

export class SqliteStream implements StreamStore {
  private readonly opened: OpenedDatabase;
  private readonly db: Database;
  private readonly rooms = new Map<string, RoomRow>();
  private readonly sent = new CidCache<MessageFrame>();
  /** The epoch a room gets with its first message (kept in `meta`): what position() tells of rooms not stored yet. */
  private readonly epoch: string;
  private queue: Op[] = [];
  private scheduled: { cancel(): void } | null = null;
  /** When the last batch was written (performance.now()): the next waits out COMMIT_WINDOW_MS. */
  private lastFlush = -Infinity;
  private deliver: Deliver | null = null;
  private closing: Promise<void> | null = null;
  private readonly retention: Retention;
  readonly readMarkers: SqliteReadMarkers;
  readonly roomStates: SqliteRoomStates;
  private readonly q: Record<"insertRoom" | "updateSeq" | "insert" | "byId" | "after" | "before" | "setText" | "erase" | "eraseEdits" | "setReactions", Statement>;

  constructor(private readonly opts: SqliteStreamOptions) {
    this.opened = openDatabase(opts.dir);
    const db = (this.db = this.opened.db);
    const m = this.opened.migrated;
    if (m.from === 0) opts.log.debug("database created", { file: this.opened.file, schema: m.to });
    else if (m.from !== m.to) opts.log.info("database migrated", { file: this.opened.file, from: m.from, to: m.to });
    try {
      this.epoch = (db.query("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value;
      this.q = {
        insertRoom: db.prepare("INSERT INTO rooms (name, epoch, seq) VALUES (?, ?, 0)"),
        updateSeq: db.prepare("UPDATE rooms SET seq = ? WHERE id = ?"),
        insert: db.prepare("INSERT INTO entries (room, seq, type, id, ts, user_id, user_name, kind, text, cid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        byId: db.prepare(`SELECT ${COLUMNS} FROM entries WHERE room = ? AND id = ? AND type = 0`),
        after: db.prepare(`SELECT ${COLUMNS} FROM entries WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`),
        before: db.prepare(`SELECT ${COLUMNS} FROM entries WHERE room = ? AND seq < ? AND type = 0 ORDER BY seq DESC LIMIT ?`),
        setText: db.prepare("UPDATE entries SET text = ?, edited = ? WHERE room = ? AND seq = ?"),
        erase: db.prepare("UPDATE entries SET text = '', deleted = 1, reactions = NULL WHERE room = ? AND seq = ?"),
        eraseEdits: db.prepare(`UPDATE entries SET text = '' WHERE room = ? AND id = ? AND type = ${EntryType.Edited}`),
        setReactions: db.prepare("UPDATE entries SET reactions = ? WHERE room = ? AND seq = ?"),
      };
      // A room's seq is its newest entry's (rooms.seq is only written before retention deletes
      // entries, so that a room trimmed empty still numbers on): one index probe per room.
      const newest = db.prepare("SELECT max(seq) AS seq FROM entries WHERE room = ?");
      for (const r of db.query("SELECT id, name, epoch, seq FROM rooms").all() as (RoomRow & { name: string })[]) {
        const top = (newest.get(r.id) as { seq: number | null }).seq ?? 0;
        this.rooms.set(r.name, { id: r.id, seq: Math.max(r.seq, top), epoch: r.epoch, saved: r.seq });
      }
      this.reloadSendKeys();
    } catch (err) {
      this.opened.close();
      throw new Error(`cannot read ${this.opened.file}: ${(err as Error).message}`);
    }
    this.readMarkers = new SqliteReadMarkers(db);
    this.roomStates = new SqliteRoomStates(db);
    this.retention = new Retention(db, opts, opts.log, () => this.saveSeqs());
    this.retention.start();
  }

  /** The SendKeys of the last IDEMPOTENCY_WINDOW_MS, from the stored messages that carried a cid. */
  private reloadSendKeys(): void {
    const since = Date.now() - IDEMPOTENCY_WINDOW_MS;
    const names = new Map([...this.rooms].map(([name, r]) => [r.id, name]));
    const rows = this.db.query(`SELECT room, ${COLUMNS} FROM entries WHERE ts > ? AND cid IS NOT NULL AND type = 0 ORDER BY ts`).all(since) as (EntryRow & { room: number })[];
    for (const row of rows) {
      const room = names.get(row.room);
      if (room !== undefined) this.sent.set({ userId: row.user_id, cid: row.cid! }, messageOf(room, row), row.ts);
    }
  }

  attach(deliver: Deliver | null): void {
    this.deliver = deliver;
  }

  position(room: string): StreamPosition {
    const r = this.rooms.get(room);
    return r ? { seq: r.seq, epoch: r.epoch } : { seq: 0, epoch: this.epoch };
  }

  publish(room: string, draft: MessageDraft, key?: SendKey): Published | Promise<Published> {
    const seen = key && this.sent.get(key);
    if (seen) return { message: seen, duplicate: true };
    return new Promise((resolve, reject) => this.enqueue({ kind: "message", room, draft, key, resolve, reject }));
  }

  apply(room: string, draft: EventDraft): Promise<Applied> {
    return new Promise((resolve, reject) => this.enqueue({ kind: "event", room, draft, resolve, reject }));
  }

  private enqueue(op: Op): void {
    if (this.closing) return op.reject(new Error("the message store is closed"));
    this.queue.push(op);
    if (this.scheduled) return;
    const wait = this.lastFlush + COMMIT_WINDOW_MS - performance.now();
    if (wait <= 0) {
      const t = setImmediate(() => this.flush());
      this.scheduled = { cancel: () => clearImmediate(t) };
    } else {
      const t = setTimeout(() => this.flush(), wait);
      this.scheduled = { cancel: () => clearTimeout(t) };
    }
  }

  /** Writes the queue in one transaction, then delivers and settles in order (see the top of the file). */
  private flush(): void {
    this.scheduled = null;
    this.lastFlush = performance.now();
    const ops = this.queue;
    this.queue = [];
    if (ops.length === 0) return;
    const committed = new Map<RoomRow, number>();
    const created: string[] = [];
    /** SendKeys first used in this batch: a second send with one answers the first. */
    const keys = new CidCache<MessageFrame>();
    let outcomes: Outcome[];
    try {
      outcomes = this.db.transaction(() => {
        return ops.map((op) => this.write(op, committed, created, keys));
      })();
    } catch (err) {
      for (const [r, seq] of committed) r.seq = seq;
      for (const name of created) this.rooms.delete(name);
      this.opts.log.error("commit failed: the batch was refused", { ops: ops.length, error: String(err) });
      for (const op of ops) op.reject(err);
      return;
    }
    const now = Date.now();
    for (const op of ops) {
      if (op.kind === "message" && op.key) {
        const m = keys.get(op.key);
        if (m) this.sent.set(op.key, m, now);
      }
    }
    for (const o of outcomes) if (o.entry) this.deliver?.(o.entry.room, encode(o.entry));
    for (const o of outcomes) o.settle();
    this.retention.touched();
  }

  /** One op inside the batch's transaction. */
  private write(op: Op, committed: Map<RoomRow, number>, created: string[], keys: CidCache<MessageFrame>): Outcome {
    const room = op.room;
    if (op.kind === "message") {
      const first = op.key && keys.get(op.key);
      if (first) return { entry: null, settle: () => op.resolve({ message: first, duplicate: true }) };
      const r = this.room(room, committed, created);
      const d = op.draft;
      const message: MessageFrame = { type: "message", room, seq: ++r.seq, id: d.id, ts: d.ts, from: d.from, kind: d.kind, text: d.text };
      this.q.insert.run(r.id, message.seq, EntryType.Message, d.id, d.ts, d.from.id, d.from.name, d.kind, d.text, op.key?.cid ?? null);
      if (op.key) keys.set(op.key, message);
      return { entry: message, settle: () => op.resolve({ message, duplicate: false }) };
    }
    const d = op.draft;
    const known = this.rooms.get(room);
    const row = known && (this.q.byId.get(known.id, d.id) as EntryRow | null);
    if (!known || !row || row.deleted) return { entry: null, settle: () => op.resolve({ ok: false, reason: "not_found" }) };
    const m = messageOf(room, row);
    if (d.type === "react" && hasReacted(m, d.emoji, d.by.id) === d.on) return { entry: null, settle: () => op.resolve({ ok: true, event: null }) };
    const r = this.room(room, committed, created);
    const event = eventFrame(room, ++r.seq, d);
    this.store(r.id, event, d, applyEvent(m, event));
    return { entry: event, settle: () => op.resolve({ ok: true, event }) };
  }

  /** Writes a change: the event row, and the message row's new state. */
  private store(roomId: number, e: StreamEvent, d: EventDraft, next: MessageFrame): void {
    const q = this.q;
    switch (e.type) {
      case "edited":
        q.setText.run(e.text, e.ts, roomId, next.seq);
        q.insert.run(roomId, e.seq, EntryType.Edited, e.id, e.ts, e.by.id, e.by.name, null, e.text, null);
        return;
      case "deleted":
        q.erase.run(roomId, next.seq);
        q.eraseEdits.run(roomId, e.id);
        q.insert.run(roomId, e.seq, EntryType.Deleted, e.id, e.ts, e.by.id, e.by.name, null, "", null);
        return;
      case "reaction":
        q.setReactions.run(next.reactions ? JSON.stringify(next.reactions) : null, roomId, next.seq);
        q.insert.run(roomId, e.seq, e.on ? EntryType.ReactionOn : EntryType.ReactionOff, e.id, d.ts, e.by.id, e.by.name, null, e.emoji, null);
        return;
    }
  }

  /** The room's row, created (with the database's epoch) on its first entry; notes its committed seq. */
  private room(name: string, committed: Map<RoomRow, number>, created: string[]): RoomRow {
    let r = this.rooms.get(name);
    if (!r) {
      const id = Number(this.q.insertRoom.run(name, this.epoch).lastInsertRowid);
      this.rooms.set(name, (r = { id, seq: 0, epoch: this.epoch, saved: 0 }));
      created.push(name);
    }
    if (!committed.has(r)) committed.set(r, r.seq);
    return r;
  }

  page(room: string, query: HistoryQuery): HistoryPage {
    const r = this.rooms.get(room);
    if (!r || query.limit <= 0) return { ...this.position(room), messages: [], more: false };
    const forward = query.after !== undefined;
    const rows = (forward ? this.q.after.all(r.id, query.after!, query.limit + 1) : this.q.before.all(r.id, query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1)) as EntryRow[];
    const more = rows.length > query.limit;
    const kept = rows.slice(0, query.limit).map((row) => entryOf(room, row));
    return { seq: r.seq, epoch: r.epoch, messages: forward ? kept : kept.reverse(), more };
  }

  message(room: string, id: string): MessageFrame | null {
    const r = this.rooms.get(room);
    const row = r && (this.q.byId.get(r.id, id) as EntryRow | null);
    return row ? messageOf(room, row) : null;
  }

  /** Trims by HISTORY_RETENTION and HISTORY_MAX_AGE now (it also runs on its own, in the background). */
  retain(now = Date.now()): Promise<number> {
    return this.retention.run(now);
  }

  /** Writes a consistent copy of the database to `file` while the server runs (`hubbub backup` does it from outside). */
  backup(file: string): void {
    this.db.query("VACUUM INTO ?").run(file);
  }

  held(): number {
    return 0;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /**
   * Writes every room's seq to `rooms` (retention calls it before deleting: the entries that
   * carry a room's seq may go). Not per batch: that would be one more UPDATE per message.
   */
  private saveSeqs(): void {
    this.db.transaction(() => {
      for (const r of this.rooms.values()) {
        if (r.seq === r.saved) continue;
        this.q.updateSeq.run(r.seq, r.id);
        r.saved = r.seq;
      }
    })();
  }

  /** Commits what is queued, stops the retention, checkpoints and closes the database. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.scheduled?.cancel();
      this.flush();
      await this.retention.stop();
      this.saveSeqs();
      this.opened.close();
    })();
    return this.closing;
  }
}

function memberOf(row: EntryRow): Member {
  return { id: row.user_id, name: row.user_name };
}

/** A message row in its current state. */
function messageOf(room: string, row: EntryRow): MessageFrame {
  const m: MessageFrame = { type: "message", room, seq: row.seq, id: row.id, ts: row.ts, from: memberOf(row), kind: row.kind as MessageKind, text: row.text };
  if (row.deleted) m.deleted = true;
  if (row.edited !== null && !row.deleted) m.edited = row.edited;
  if (row.reactions !== null) m.reactions = JSON.parse(row.reactions) as Record<string, string[]>;
  return m;
}

function entryOf(room: string, row: EntryRow): StreamEntry {
  switch (row.type) {
    case EntryType.Message:
      return messageOf(room, row);
    case EntryType.Edited:
      return { type: "edited", room, seq: row.seq, id: row.id, text: row.text, ts: row.ts, by: memberOf(row) };
    case EntryType.Deleted:
      return { type: "deleted", room, seq: row.seq, id: row.id, ts: row.ts, by: memberOf(row) };
    default:
      return { type: "reaction", room, seq: row.seq, id: row.id, emoji: row.text, by: memberOf(row), on: row.type === EntryType.ReactionOn };
  }
}
