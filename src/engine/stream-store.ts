// StreamStore: where the single-node engine keeps its rooms' streams (seq, epoch, messages and
// the edits, deletes and reactions among them). MemoryEngine's Broker and HistoryStore are this
// store plus delivery; STORE picks the implementation (engine/create.ts):
//   MemoryStream  (memory-stream.ts)  a ring of the last HISTORY_SIZE entries per room; one epoch per process
//   SqliteStream  (sqlite-stream.ts)  every entry in DATA_DIR/hubbub.db, kept by HISTORY_RETENTION / HISTORY_MAX_AGE
//
// Guarantees, on top of the Broker's (engine.ts): an entry is handed to `deliver` only once it is
// kept (for SQLite: committed), in seq order per room, before its publish/apply resolves; so a
// member never receives what a crash could lose, and an ack means kept.
import type { ReadMarkerStore } from "../read-markers.ts";
import type { RoomStateStore } from "../room-states.ts";
import type { Awaitable } from "../awaitable.ts";
import type { MessageFrame, StreamEvent } from "../shared/protocol.ts";
import type { Applied, EventDraft, HistoryPage, HistoryQuery, MessageDraft, Published, SendKey, StreamPosition } from "./engine.ts";

/** Hands an encoded stream entry to the room's local members. */
export type Deliver = (room: string, data: string) => void;

export interface StreamStore {
  /** Starts handing kept entries to `deliver` (null: to nobody). */
  attach(deliver: Deliver | null): void;
  /** The room's latest kept seq and its epoch. */
  position(room: string): StreamPosition;
  publish(room: string, draft: MessageDraft, key?: SendKey): Awaitable<Published>;
  apply(room: string, draft: EventDraft): Awaitable<Applied>;
  page(room: string, query: HistoryQuery): Awaitable<HistoryPage>;
  message(room: string, id: string): Awaitable<MessageFrame | null>;
  /** Entries held in memory for history (the hubbub_history_messages metric). */
  held(): number;
  /** Rooms with a stream in memory (tests: empty rooms cost nothing lasting). */
  readonly roomCount: number;
  /** Where this store keeps users' read markers, when it keeps them (a durable store does). */
  readonly readMarkers?: ReadMarkerStore;
  /** Where this store keeps rooms' states, when it keeps them (a durable store does). */
  readonly roomStates?: RoomStateStore;
  /** Finishes what is in flight and releases the store. Idempotent. */
  close(): Promise<void>;
}

/** The frame of a change, given its seq. */
export function eventFrame(room: string, seq: number, d: EventDraft): StreamEvent {
  switch (d.type) {
    case "edit":
      return { type: "edited", room, seq, id: d.id, text: d.text, ts: d.ts, by: d.by };
    case "delete":
      return { type: "deleted", room, seq, id: d.id, ts: d.ts, by: d.by };
    case "react":
      return { type: "reaction", room, seq, id: d.id, emoji: d.emoji, by: d.by, on: d.on };
  }
}
