// `hubbub backup <file>`: a consistent copy of DATA_DIR/hubbub.db, taken while the server runs
// (SQLite's VACUUM INTO reads one snapshot of the database beside the server's writes, and writes
// a compact file). The server's lock (sqlite-open.ts) is a lock file, not SQLite's exclusive
// mode, precisely so this can read. Works the same in the compiled binary.
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "./config.ts";
import { DB_FILE } from "./engine/sqlite-open.ts";
import { SCHEMA_VERSION, schemaVersion } from "./engine/sqlite-schema.ts";

export const BACKUP_USAGE = "usage: hubbub backup <file>   (copies DATA_DIR/hubbub.db to <file>; safe while the server runs)";

/** Runs the sub-command; returns what to print and the exit code. Never throws. */
export function runBackupCommand(args: string[], env: Record<string, string | undefined>): { code: number; out: string } {
  const [target, ...extra] = args;
  if (!target || extra.length || target.startsWith("-")) return { code: 2, out: BACKUP_USAGE };
  const loaded = loadConfig(env);
  if (loaded.ok !== true) return { code: 2, out: `hubbub backup: ${loaded.ok === false ? loaded.error : "bad config"}` };
  const { dataDir } = loaded.config;
  if (!dataDir) return { code: 2, out: "hubbub backup: DATA_DIR is empty: there is no database to back up" };
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) return { code: 1, out: `hubbub backup: no database at ${file}` };
  if (existsSync(target)) return { code: 1, out: `hubbub backup: ${target} exists; choose a new file` };
  let db: Database | null = null;
  try {
    db = new Database(file, { create: false, strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) return { code: 1, out: `hubbub backup: ${file} has schema version ${version}, newer than this Hubbub (${SCHEMA_VERSION})` };
    db.query("VACUUM INTO ?").run(resolve(target));
    const rows = (db.query("SELECT count(*) AS n FROM entries").get() as { n: number } | null)?.n ?? 0;
    return { code: 0, out: `hubbub backup: wrote ${target} (${rows} stored entries)` };
  } catch (err) {
    return { code: 1, out: `hubbub backup: cannot back up ${file}: ${(err as Error).message}` };
  } finally {
    db?.close();
  }
}
