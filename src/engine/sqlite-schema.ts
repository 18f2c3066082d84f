// The SQLite schema of DATA_DIR/hubbub.db and its migrations (docs/storage.md describes it).
// The version lives in the database (`schema_version`, one row); migrate() runs at start-up,
// forward only, each step in its own transaction, and refuses a database newer than this code.
//
// Version 1: rooms, and their messages as posted.
// Version 2: the stream holds changes to messages (edits, deletes, reactions) beside them, each
//   message row keeps its current state, and `meta` holds the database's default epoch.
// Version 3: users' read markers (how far each has read each room, in the room's epoch).
// Version 4: rooms' states (owner, topic, visibility, modes, roles, bans, mutes: room-rules.ts).
import type { Database } from "bun:sqlite";

/** Entry types in `entries.type`. */
export const EntryType = { Message: 0, Edited: 1, Deleted: 2, ReactionOn: 3, ReactionOff: 4 } as const;

const MIGRATIONS: readonly string[] = [
  // 1
  `CREATE TABLE rooms (
     id    INTEGER PRIMARY KEY,
     name  TEXT NOT NULL UNIQUE,
     epoch TEXT NOT NULL,
     seq   INTEGER NOT NULL
   );
   CREATE TABLE messages (
     room      INTEGER NOT NULL,
     seq       INTEGER NOT NULL,
     id        TEXT NOT NULL,
     ts        INTEGER NOT NULL,
     from_id   TEXT NOT NULL,
     from_name TEXT NOT NULL,
     kind      TEXT NOT NULL,
     text      TEXT NOT NULL,
     PRIMARY KEY (room, seq)
   ) WITHOUT ROWID;`,
  // 2: a new table (SQLite cannot relax a NOT NULL in place), filled from the old one.
  `CREATE TABLE entries (
     room      INTEGER NOT NULL,
     seq       INTEGER NOT NULL,
     type      INTEGER NOT NULL,
     id        TEXT NOT NULL,
     ts        INTEGER NOT NULL,
     user_id   TEXT NOT NULL,
     user_name TEXT NOT NULL,
     kind      TEXT,
     text      TEXT NOT NULL,
     cid       TEXT,
     edited    INTEGER,
     deleted   INTEGER,
     reactions TEXT,
     PRIMARY KEY (room, seq)
   ) WITHOUT ROWID;
   INSERT INTO entries (room, seq, type, id, ts, user_id, user_name, kind, text)
     SELECT room, seq, 0, id, ts, from_id, from_name, kind, text FROM messages;
   DROP TABLE messages;
   CREATE INDEX entries_by_id ON entries (room, id);
   CREATE INDEX entries_by_ts ON entries (ts);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
  // 3
  `CREATE TABLE read_markers (
     user_id TEXT NOT NULL,
     room    TEXT NOT NULL,
     epoch   TEXT NOT NULL,
     seq     INTEGER NOT NULL,
     PRIMARY KEY (user_id, room)
   ) WITHOUT ROWID;`,
  // 4: one row per room with a state; \`state\` is its JSON, \`v\` its version (for compare-and-set).
  `CREATE TABLE room_states (
     room  TEXT PRIMARY KEY,
     v     INTEGER NOT NULL,
     state TEXT NOT NULL
   ) WITHOUT ROWID;`,
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version (0 for a new file). */
export function schemaVersion(db: Database): number {
  const has = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  const row = db.query("SELECT version FROM schema_version").get() as { version: number } | null;
  return row?.version ?? 0;
}

/**
 * Brings the database to `target` (SCHEMA_VERSION unless a test asks for an older one).
 * Throws one line when the database is newer than this code understands.
 */
export function migrate(db: Database, file: string, target = SCHEMA_VERSION): { from: number; to: number } {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new Error(`${file} has schema version ${from}, newer than this Hubbub understands (${SCHEMA_VERSION}): run a newer Hubbub, or restore a backup`);
  }
  for (let v = from + 1; v <= target; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v - 1]!);
      if (v === 2) db.query("INSERT INTO meta (key, value) VALUES ('epoch', ?)").run(newEpoch());
      db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      db.exec("DELETE FROM schema_version");
      db.query("INSERT INTO schema_version (version) VALUES (?)").run(v);
    })();
  }
  return { from, to: Math.max(from, target) };
}

/** A new random epoch: 16 hex characters. */
export const newEpoch = (): string => crypto.randomUUID().replaceAll("-", "").slice(0, 16);
