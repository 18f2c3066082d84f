// Opening DATA_DIR/hubbub.db for the server: the directory (created if missing, and it must be
// writable), the lock that keeps a second Hubbub off the same directory, the pragmas, and the
// migrations. Every failure is one Error line for index.ts to print; nothing is left open.
//
// Why a lock file and not SQLite's own locks: SQLite lets a second handle on the same file write
// too (it only serialises transactions), so two servers would both hand out seqs for one room.
// `PRAGMA locking_mode=EXCLUSIVE` would stop them, but also the online backup (`hubbub backup`),
// which must read while the server runs. So `hubbub.lock` holds the server's pid: created with
// O_EXCL, taken over only when that process is gone (a crash leaves it behind), and refused while
// it lives. In one process, a set of held directories does the same for a second server.
import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "./sqlite-schema.ts";

export const DB_FILE = "hubbub.db";
const LOCK_FILE = "hubbub.lock";

/** Directories this process holds (a second server in one process is refused as well). */
const held = new Set<string>();

export interface OpenedDatabase {
  db: Database;
  file: string;
  /** The schema versions before and after the migrations ran. */
  migrated: { from: number; to: number };
  /** Closes the database and releases the lock. Idempotent. */
  close(): void;
}

/**
 * WAL with synchronous=NORMAL: a committed transaction survives a crash of the process (what an
 * ack promises), not necessarily a power loss before the next checkpoint; FULL would fsync every
 * commit (docs/storage.md has the trade). secure_delete=FAST overwrites a deleted message's text
 * in the page it lived on, at no extra I/O.
 */
const PRAGMAS = ["journal_mode = WAL", "synchronous = NORMAL", "secure_delete = FAST", "busy_timeout = 1000", "foreign_keys = OFF"];

export function openDatabase(dir: string): OpenedDatabase {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new Error(`cannot create data directory ${dir} (${codeOf(err)}); set DATA_DIR to a writable directory`);
  }
  const real = realpathSync(dir);
  if (held.has(real)) throw new Error(`data directory ${dir} is in use by another Hubbub in this process`);
  const releaseLock = lock(dir);
  held.add(real);
  const file = join(dir, DB_FILE);
  let db: Database | null = null;
  const release = () => {
    held.delete(real);
    releaseLock();
  };
  try {
    db = new Database(file, { create: true, strict: true });
    for (const p of PRAGMAS) db.exec(`PRAGMA ${p}`);
    const migrated = migrate(db, file);
    let closed = false;
    const opened = db;
    return {
      db: opened,
      file,
      migrated,
      close() {
        if (closed) return;
        closed = true;
        try {
          opened.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch {
          // A checkpoint is only tidiness: the WAL is replayed at the next open.
        }
        opened.close();
        release();
      },
    };
  } catch (err) {
    db?.close();
    release();
    const msg = (err as Error).message;
    if (/newer than this Hubbub/.test(msg)) throw err;
    throw new Error(`cannot open ${file}: ${msg}`);
  }
}

/** Takes DATA_DIR's lock file; returns its release. Throws one line if another live Hubbub holds it. */
function lock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, mine, { flag: "wx", mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, "utf8") === mine) unlinkSync(file);
        } catch {
          // Gone already: nothing to release.
        }
      };
    } catch (err) {
      if (codeOf(err) !== "EEXIST") throw new Error(`data directory ${dir} is not writable (${codeOf(err)}); set DATA_DIR to a writable directory`);
    }
    let pid = 0;
    try {
      pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    } catch {
      continue; // released meanwhile: try again
    }
    if (pid > 0 && pid !== process.pid && alive(pid)) {
      throw new Error(`data directory ${dir} is in use by another Hubbub (pid ${pid}); stop it or set another DATA_DIR`);
    }
    // Left by a process that is gone (a crash): take it over.
    try {
      unlinkSync(file);
    } catch {
      // Someone else took it over first; the next attempt sees theirs.
    }
  }
  throw new Error(`cannot take the lock ${file}: another Hubbub keeps taking it`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return codeOf(err) === "EPERM";
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}
