// Building the paged replies: the `users` page of a room (capped in count, MAX_WHO_LIMIT) and
// `history` pages, capped in bytes as well as in count, so no single reply can swamp a reader's
// buffer (a page of long messages full of escaped control characters is 6x its text). Pure.
import type { HistoryPage, MemberPage, StreamPosition } from "./engine/engine.ts";
import type { RoomInfo } from "./room-rules.ts";
import type { HistoryFrame, Ref, StreamEntry, UsersFrame } from "./shared/protocol.ts";

/** A `history` reply's messages add up to at most this many bytes of JSON (one message always fits). */
export const MAX_HISTORY_REPLY_BYTES = 256 * 1024;

/**
 * `lastRead`: the user's read marker for the room, on a join's answer; `large`: the room is large
 * (a join's answer); `info`: the room's settings and roles (docs/rooms.md).
 */
export function usersFrame(room: string, pos: StreamPosition, page: MemberPage, ref?: Ref, lastRead?: number, large?: boolean, info?: RoomInfo): UsersFrame {
  const f: UsersFrame = { type: "users", room, seq: pos.seq, epoch: pos.epoch, count: page.count, users: page.users, ...info };
  if (page.next !== undefined) f.next = page.next;
  if (lastRead !== undefined) f.lastRead = lastRead;
  if (large) f.large = true;
  if (ref !== undefined) f.ref = ref;
  return f;
}

/**
 * A history reply from a page. `forward`: the page was read with `after` (cut from its newest
 * end to fit); otherwise it was read backwards (cut from its oldest end). A cut sets `more`.
 */
export function historyFrame(room: string, page: HistoryPage, forward: boolean, extra: { recovered?: boolean; ref?: Ref } = {}): HistoryFrame {
  const messages = fit(page.messages, forward);
  const f: HistoryFrame = { type: "history", room, epoch: page.epoch, messages };
  if (extra.recovered !== undefined) f.recovered = extra.recovered;
  if (page.more || messages.length < page.messages.length) f.more = true;
  if (extra.ref !== undefined) f.ref = extra.ref;
  return f;
}

function fit(messages: StreamEntry[], forward: boolean): StreamEntry[] {
  let bytes = 0;
  const n = messages.length;
  for (let i = 0; i < n; i++) {
    const m = messages[forward ? i : n - 1 - i]!;
    bytes += Buffer.byteLength(JSON.stringify(m)) + 1;
    if (bytes > MAX_HISTORY_REPLY_BYTES && i > 0) return forward ? messages.slice(0, i) : messages.slice(n - i);
  }
  return messages;
}

/**
 * Whether a replay after `since` in `epoch` is complete: same epoch (or none given with since
 * 0: a client that has seen nothing), not ahead of the room, and the page starts right after
 * `since` (nothing fell out of the kept history in between).
 */
export function isRecovery(since: number, epoch: string | undefined, page: HistoryPage): boolean {
  const sameEpoch = epoch === undefined ? since === 0 : epoch === page.epoch;
  if (!sameEpoch || since > page.seq) return false;
  return since === page.seq || page.messages[0]?.seq === since + 1;
}
