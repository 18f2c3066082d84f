// A room's stream holds messages and changes to them (edited, deleted, reaction), each with its
// own seq. applyEvent() is the one rule for a message's current state, shared by the server's
// stores and the SDK. It is idempotent: a client that got a message in its current state (from a
// replay) and then the events already folded into it ends in the same state.
import type { MessageFrame, StreamEntry, StreamEvent } from "./protocol.ts";

export function isEvent(e: StreamEntry): e is StreamEvent {
  return e.type !== "message";
}

/** The message after `e` (a new object; `m` is not changed). A deleted message takes no more changes. */
export function applyEvent(m: MessageFrame, e: StreamEvent): MessageFrame {
  if (m.deleted) return m;
  switch (e.type) {
    case "edited":
      return { ...m, text: e.text, edited: e.ts };
    case "deleted":
      return tombstone(m);
    case "reaction":
      return withReaction(m, e.emoji, e.by.id, e.on);
  }
}

/** What a deleted message keeps: who wrote it and when, nothing of what it said. */
export function tombstone(m: MessageFrame): MessageFrame {
  return { type: "message", room: m.room, seq: m.seq, id: m.id, ts: m.ts, from: m.from, kind: m.kind, text: "", deleted: true };
}

/** `m` with `userId`'s `emoji` reaction on or off (`m` itself when that changes nothing). */
export function withReaction(m: MessageFrame, emoji: string, userId: string, on: boolean): MessageFrame {
  const by = m.reactions?.[emoji] ?? [];
  if (by.includes(userId) === on) return m;
  const reactions: Record<string, string[]> = { ...m.reactions };
  const list = on ? [...by, userId] : by.filter((id) => id !== userId);
  if (list.length) reactions[emoji] = list;
  else delete reactions[emoji];
  const { reactions: _old, ...rest } = m;
  return Object.keys(reactions).length ? { ...rest, reactions } : rest;
}

/** Whether `userId` has reacted to `m` with `emoji`. */
export function hasReacted(m: MessageFrame, emoji: string, userId: string): boolean {
  return m.reactions?.[emoji]?.includes(userId) ?? false;
}
