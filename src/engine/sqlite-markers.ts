// Read markers in DATA_DIR/hubbub.db (the `read_markers` table, schema version 3), so unread
// counts survive a restart as the messages do. One row per user and room; `advance` raises the
// marker within an epoch and replaces one of another epoch, in one statement. A marker is a hint
// for unread counts, not a message: it is written at once, outside the message commits.
import type { Database, Statement } from "bun:sqlite";
import type { ReadMarker, ReadMarkerStore } from "../read-markers.ts";

export class SqliteReadMarkers implements ReadMarkerStore {
  private readonly getQ: Statement;
  private readonly upsert: Statement;

  constructor(db: Database) {
    this.getQ = db.prepare("SELECT seq, epoch FROM read_markers WHERE user_id = ? AND room = ?");
    this.upsert = db.prepare(
      `INSERT INTO read_markers (user_id, room, epoch, seq) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (user_id, room) DO UPDATE SET epoch = excluded.epoch, seq = excluded.seq
       WHERE read_markers.epoch <> excluded.epoch OR read_markers.seq < excluded.seq`,
    );
  }

  get(userId: string, room: string): ReadMarker | null {
    return (this.getQ.get(userId, room) as ReadMarker | null) ?? null;
  }

  advance(userId: string, room: string, to: ReadMarker): ReadMarker {
    this.upsert.run(userId, room, to.epoch, to.seq);
    return this.get(userId, room) ?? to;
  }
}
