// Retention of the durable store: HISTORY_RETENTION (messages kept per room, 0 = all) and
// HISTORY_MAX_AGE (entries older than this go, 0 = forever). It runs in the background: a pass
// at start-up and every RETENTION_INTERVAL_MS, deleting in chunks of RETENTION_CHUNK rows, each
// its own short transaction with a yield to the event loop between, so chat never waits behind
// a big trim. A room's seq and epoch stay when its entries go: numbering never restarts.
import type { Database, Statement } from "bun:sqlite";
import type { Logger } from "../log.ts";
import { EntryType } from "./sqlite-schema.ts";

/** How often the background pass runs. */
export const RETENTION_INTERVAL_MS = 60_000;
/** Rows deleted per transaction; between two, other work runs. */
export const RETENTION_CHUNK = 2000;
/** Rooms whose count is checked between two turns of the event loop. */
const ROOMS_PER_TURN = 50;

export interface RetentionOptions {
  /** HISTORY_RETENTION: messages kept per room (0 = unlimited). */
  retention: number;
  /** HISTORY_MAX_AGE in ms (0 = unlimited). */
  maxAgeMs: number;
}

export class Retention {
  private timer: ReturnType<typeof setInterval> | null = null;
  private first: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<number> | null = null;
  /** Rooms written since the last pass (by count retention only those can be over). */
  private dirty = true;
  private stopped = false;
  private readonly q: Record<"rooms" | "cutoff" | "trimRoom" | "trimAge", Statement>;

  constructor(
    db: Database,
    private readonly opts: RetentionOptions,
    private readonly log: Logger,
    /** Saves every room's seq: called before a pass deletes anything (the newest entries may go). */
    private readonly saveSeqs: () => void,
  ) {
    this.q = {
      rooms: db.prepare("SELECT id FROM rooms"),
      // The seq of the oldest message a room keeps: the retention-th newest.
      cutoff: db.prepare(`SELECT seq FROM entries WHERE room = ? AND type = ${EntryType.Message} ORDER BY seq DESC LIMIT 1 OFFSET ?`),
      trimRoom: db.prepare("DELETE FROM entries WHERE (room, seq) IN (SELECT room, seq FROM entries WHERE room = ? AND seq < ? LIMIT ?)"),
      trimAge: db.prepare("DELETE FROM entries WHERE (room, seq) IN (SELECT room, seq FROM entries WHERE ts < ? LIMIT ?)"),
    };
  }

  get enabled(): boolean {
    return this.opts.retention > 0 || this.opts.maxAgeMs > 0;
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.run().catch((err) => this.log.warn("retention pass failed", { error: String(err) })), RETENTION_INTERVAL_MS);
    this.timer.unref();
    // The first pass after start-up, not inside it: a big database must not delay listening.
    this.first = setTimeout(() => void this.run().catch((err) => this.log.warn("retention pass failed", { error: String(err) })), 0);
    this.first.unref();
  }

  /** Something was written: the next pass looks at per-room counts again. */
  touched(): void {
    this.dirty = true;
  }

  /** One pass (or the one already running); resolves with the number of rows deleted. */
  run(now = Date.now()): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    this.running ??= this.pass(now).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: number): Promise<number> {
    let deleted = 0;
    this.saveSeqs();
    const { retention, maxAgeMs } = this.opts;
    if (retention > 0 && this.dirty) {
      this.dirty = false;
      let looked = 0;
      for (const { id } of this.q.rooms.all() as { id: number }[]) {
        if (++looked % ROOMS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
        if (this.stopped) return deleted;
        const cut = this.q.cutoff.get(id, retention - 1) as { seq: number } | null;
        if (!cut) continue;
        deleted += await this.chunks(() => this.q.trimRoom.run(id, cut.seq, RETENTION_CHUNK).changes);
        if (this.stopped) return deleted;
      }
    }
    if (maxAgeMs > 0) deleted += await this.chunks(() => this.q.trimAge.run(now - maxAgeMs, RETENTION_CHUNK).changes);
    if (deleted > 0) this.log.info("history trimmed", { deleted });
    return deleted;
  }

  /** Runs `step` until it deletes less than a chunk, yielding between steps. */
  private async chunks(step: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) return total;
      const n = step();
      total += n;
      if (n < RETENTION_CHUNK) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.first) clearTimeout(this.first);
    await this.running?.catch(() => {});
  }
}
