// HistoryStore on Redis: a room's position {seq, epoch} and paged reads of its capped history
// stream, each one script (redis-stream-scripts.ts) so the page, the seq and the epoch it
// carries are one consistent view. The sequencer's gap reads use the same script.
import type { Logger } from "../log.ts";
import type { MessageFrame, StreamEntry } from "../shared/protocol.ts";
import { tombstone } from "../shared/stream.ts";
import type { HistoryPage, HistoryQuery, HistoryStore, StreamPosition } from "./engine.ts";
import { entryOf, frameOf, parseMessageEnvelope, parseStreamEnvelope } from "./redis-envelope.ts";
import type { RedisKeys } from "./redis-keys.ts";
import type { Send } from "./redis-scripts.ts";
import { messageScript, positionScript, readScript } from "./redis-stream-scripts.ts";
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
    const kept = await this.current(room, this.entriesOf(entries.slice(0, limit)).map((e) => e.entry));
    return { seq, epoch, messages: desc ? kept.reverse() : kept, more };
  }

  /** The kept message `id` in its current state, or null. */
  async message(room: string, id: string): Promise<MessageFrame | null> {
    const k = this.keys;
    const r = (await messageScript.run(this.send, [k.roomHistory(room), k.roomIds(room), k.roomChanges(room)], [id])) as unknown[];
    const parsed = parseMessageEnvelope(r?.[0]);
    if (!parsed.ok) return null;
    return withState(frameOf(parsed.envelope), typeof r[1] === "string" ? r[1] : null);
  }

  /** The page's messages in their current state (the changes hash holds the changed ones). */
  private async current(room: string, entries: StreamEntry[]): Promise<StreamEntry[]> {
    // Edits too: the text of an edit of a message deleted since is not shown (the stream entry
    // itself cannot be rewritten; it goes when trimmed).
    const ids = [...new Set(entries.flatMap((e) => (e.type === "message" || e.type === "edited" ? [e.id] : [])))];
    if (ids.length === 0) return entries;
    const states = (await this.send("HMGET", [this.keys.roomChanges(room), ...ids])) as (string | null)[];
    const byId = new Map(ids.map((id, i) => [id, states?.[i] ?? null]));
    return entries.map((e) => {
      const st = byId.get(e.id) ?? null;
      if (e.type === "message") return withState(e, st);
      if (e.type === "edited" && st !== null && st.includes('"deleted":true')) return { ...e, text: "" };
      return e;
    });
  }

  /** The sequencer's gap read (SequencerDeps.fetch). */
  async range(room: string, epoch: string, since: number, until?: number): Promise<Fetched> {
    const r = await this.read(room, "asc", since, until, this.historySize, epoch);
    return { seq: r.seq, epoch: r.epoch, messages: this.entriesOf(r.entries) };
  }

  private async read(room: string, direction: "asc" | "desc", cursor: number | undefined, until: number | undefined, count: number, expect: string) {
    const k = this.keys;
    const args = [newEpoch(), EMPTY_EPOCH_TTL_MS, this.historySize, direction, cursor ?? "", until ?? "", count, expect];
    const [seq, epoch, entries] = (await readScript.run(this.send, [k.roomSeq(room), k.roomEpoch(room), k.roomHistory(room)], args)) as [number, string, unknown];
    return { seq: Number(seq), epoch: String(epoch), entries: Array.isArray(entries) ? entries : [] };
  }

  /** Stream entries ([id, ["e", envelope]]) to frames, with their senders' keys; a malformed entry is logged and skipped. */
  private entriesOf(entries: unknown[]): { entry: StreamEntry; key: string }[] {
    const out: { entry: StreamEntry; key: string }[] = [];
    for (const entry of entries) {
      const raw = Array.isArray(entry) && Array.isArray(entry[1]) ? entry[1][1] : undefined;
      const r = parseStreamEnvelope(raw);
      if (r.ok) out.push(entryOf(r.envelope));
      else this.log.warn("dropped malformed history entry", { error: r.error });
    }
    return out;
  }
}

/** A stored message with its state from the changes hash (JSON {text, edited, deleted, reactions}) laid over it. */
function withState(m: MessageFrame, raw: string | null): MessageFrame {
  if (raw === null) return m;
  let st: { text?: string; edited?: number; deleted?: boolean; reactions?: Record<string, string[]> };
  try {
    st = JSON.parse(raw);
  } catch {
    return m;
  }
  if (st.deleted) return tombstone(m);
  const out: MessageFrame = { ...m };
  if (typeof st.text === "string") out.text = st.text;
  if (typeof st.edited === "number") out.edited = st.edited;
  // cjson writes an empty table as {} and a list as [...]: only non-empty lists are reactions.
  const reactions = Object.entries(st.reactions ?? {}).filter(([, ids]) => Array.isArray(ids) && ids.length > 0);
  if (reactions.length) out.reactions = Object.fromEntries(reactions);
  return out;
}
