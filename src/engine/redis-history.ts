// HistoryStore on Redis: a room's position {seq, epoch} and paged reads of its capped history
// stream, each one script (redis-stream-scripts.ts) so the page, the seq and the epoch it
// carries are one consistent view. The sequencer's gap reads use the same script.
import type { Logger } from "../log.ts";
import type { MessageFrame } from "../shared/protocol.ts";
import type { HistoryPage, HistoryQuery, HistoryStore, StreamPosition } from "./engine.ts";
import { frameOf, parseMessageEnvelope } from "./redis-envelope.ts";
import type { RedisKeys } from "./redis-keys.ts";
import type { Send } from "./redis-scripts.ts";
import { positionScript, readScript } from "./redis-stream-scripts.ts";
import type { Fetched } from "./redis-sequencer.ts";

/**
 * How long (ms) the epoch a read made for a room without messages lives: long enough that a
 * client's epoch of a quiet room stays valid through any reconnect, short enough that reads of
 * made-up rooms do not pile up keys. The room's first message makes the epoch permanent.
 */
export const EMPTY_EPOCH_TTL_MS = 24 * 60 * 60 * 1000;

/** A new random epoch: 16 hex characters. */
export const newEpoch = (): string => crypto.randomUUID().replaceAll("-", "").slice(0, 16);

export class RedisHistory implements HistoryStore {
  constructor(
    private readonly keys: RedisKeys,
    private readonly send: Send,
    /** HISTORY_SIZE: the seqs kept are the room's last this many. */
    private readonly historySize: number,
    private readonly log: Logger,
  ) {}

  async position(room: string): Promise<StreamPosition> {
    const k = this.keys;
    const [seq, epoch] = (await positionScript.run(this.send, [k.roomSeq(room), k.roomEpoch(room)], [newEpoch(), EMPTY_EPOCH_TTL_MS])) as [number, string];
    return { seq: Number(seq), epoch: String(epoch) };
  }

  /** `more`: the script asks for one entry past `limit`. */
  async page(room: string, query: HistoryQuery): Promise<HistoryPage> {
    const limit = Math.max(0, query.limit);
    const desc = query.after === undefined;
    const cursor = desc ? query.before : query.after;
    const { seq, epoch, entries } = await this.read(room, desc ? "desc" : "asc", cursor, undefined, limit + 1, "");
    const more = entries.length > limit;
    const kept = this.framesOf(entries.slice(0, limit));
    return { seq, epoch, messages: desc ? kept.reverse() : kept, more };
  }

  /** Not yet on Redis (redis-broker.ts's apply): the request is answered `unavailable`. */
  async message(_room: string, _id: string): Promise<MessageFrame | null> {
    throw new Error("edits, deletes and reactions are not available with ENGINE=redis yet");
  }

  /** The sequencer's gap read (SequencerDeps.fetch). */
  async range(room: string, epoch: string, since: number, until?: number): Promise<Fetched> {
    const r = await this.read(room, "asc", since, until, this.historySize, epoch);
    return { seq: r.seq, epoch: r.epoch, messages: this.framesOf(r.entries) };
  }

  private async read(room: string, direction: "asc" | "desc", cursor: number | undefined, until: number | undefined, count: number, expect: string) {
    const k = this.keys;
    const args = [newEpoch(), EMPTY_EPOCH_TTL_MS, this.historySize, direction, cursor ?? "", until ?? "", count, expect];
    const [seq, epoch, entries] = (await readScript.run(this.send, [k.roomSeq(room), k.roomEpoch(room), k.roomHistory(room)], args)) as [number, string, unknown];
    return { seq: Number(seq), epoch: String(epoch), entries: Array.isArray(entries) ? entries : [] };
  }

  /** Stream entries ([id, ["e", envelope]]) to frames; a malformed entry is logged and skipped. */
  private framesOf(entries: unknown[]): MessageFrame[] {
    const out: MessageFrame[] = [];
    for (const entry of entries) {
      const raw = Array.isArray(entry) && Array.isArray(entry[1]) ? entry[1][1] : undefined;
      const r = parseMessageEnvelope(raw);
      if (r.ok) out.push(frameOf(r.envelope));
      else this.log.warn("dropped malformed history entry", { error: r.error });
    }
    return out;
  }
}
