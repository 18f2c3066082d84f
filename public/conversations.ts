// The page's model: one conversation per room and per direct-message peer, how far its reader
// has read, and which one is on screen. A room's messages are the SDK's (`client.messages(room)`,
// kept in their current state, scrollback included); the page keeps only what the SDK does not:
// direct messages (they are not stored), notices, sends not yet confirmed, and a room's messages
// from before a server restart. Views read it; app.ts changes it. Unread counts come from the
// read marker for rooms (the server keeps it, so they agree across tabs and reloads), and from a
// local count for direct messages.
import type { DirectMessageFrame, MessageFrame } from "hubbub/client";

/** Lines a room shows at first, and that a direct conversation keeps; scrollback shows more of a room. */
export const MAX_LINES = 500;

/** A message of ours not yet confirmed by the server: shown at once, then replaced by the real one. */
export interface PendingLine {
  type: "pending";
  text: string;
  action: boolean;
  ts: number;
  /** Why it failed, once it has; it is kept, with Retry and Discard, until the user decides. */
  error?: string;
}

/** A line from the page itself (/who, a gap, a restart); in a room it follows the message of seq `after`. */
export interface Notice {
  type: "notice";
  text: string;
  ts: number;
  after: number;
}

/** A room message from an earlier epoch (its seq means nothing now; it is never unread and takes no actions). */
export type StaleMessage = MessageFrame & { stale: true };

export type Line = MessageFrame | StaleMessage | DirectMessageFrame | Notice | PendingLine;

export interface Conversation {
  /** `#room` or `@peer` (the peer's name, lower-cased). */
  readonly key: string;
  readonly type: "room" | "dm";
  /** The room name, or the peer's display name. */
  name: string;
  /** The page's own lines: direct messages and notices; in a room, notices and stale messages. */
  lines: Line[];
  /** Sends not confirmed yet, shown after everything else. */
  readonly pending: PendingLine[];
  /** Rooms: the read marker (a seq). */
  lastRead: number;
  /** Direct messages: unread lines (they have no seq). */
  dmUnread: number;
  /** The "new messages" divider goes after this seq (rooms) or before this line (dm); null: none. */
  divider: number | null;
  /** Place the divider at the next render, from the read marker (the messages may still be arriving now). */
  placeDivider: boolean;
  /** Rooms: how many of the newest messages the SDK holds are shown (scrollback raises it). */
  shown: number;
  /** Rooms: older messages may still be fetched (scrollback); false once a page said there are none. */
  older: boolean;
}

export const roomKey = (room: string) => `#${room}`;
export const dmKey = (peer: string) => `@${peer.toLowerCase()}`;

/** The user's id and name, for "is this line mine" and mentions. */
export interface Me {
  id: string | null;
  name: string | null;
}

export interface Conversations {
  /** The key of the conversation on screen. */
  readonly current: string | null;
  readonly active: Conversation | undefined;
  get(key: string): Conversation | undefined;
  room(name: string): Conversation;
  dm(peer: string): Conversation;
  list(type?: Conversation["type"]): Conversation[];
  /** What the conversation shows, in order: its lines, a room's messages merged in by seq, then the pending sends. */
  lines(c: Conversation): Line[];
  /** A direct message, or a notice. */
  add(c: Conversation, line: DirectMessageFrame | Omit<Notice, "after" | "ts">): void;
  /** A room message arrived; our own replaces the oldest pending line with its text. */
  arrived(c: Conversation, m: MessageFrame): void;
  /** The room's numbering restarted (the server lost its history): what it showed, `previous` included, is of the old epoch. */
  restarted(c: Conversation, previous: readonly MessageFrame[]): void;
  /** The newest seq of a room's messages; 0 when none. */
  lastSeq(c: Conversation): number;
  addPending(c: Conversation, text: string, action: boolean): PendingLine;
  /** The send was confirmed: its pending line goes (if the message itself has not replaced it already). */
  settle(c: Conversation, line: PendingLine): void;
  fail(c: Conversation, line: PendingLine, error: string): void;
  /** Raises a room's read marker (from this tab, another, or the server). */
  setLastRead(c: Conversation, seq: number): void;
  /** Messages from others after the read marker (rooms), or unread direct messages. */
  unread(c: Conversation): number;
  /** How many of the unread lines mention the user. */
  unreadMentions(c: Conversation): number;
  select(key: string): void;
  /** Called before drawing: a divider waiting to be placed goes before the first unread message. */
  settleDivider(c: Conversation): void;
  remove(key: string): void;
}

/**
 * The page's one model. `messages`: the SDK's messages of a room, in seq order and in their
 * current state; `mentions`: whether a text mentions the user (markup.ts), for the badges.
 */
export function createConversations(changed: () => void, me: () => Me, messages: (room: string) => readonly MessageFrame[], mentions: (text: string, name: string) => boolean): Conversations {
  const all = new Map<string, Conversation>();
  let current: string | null = null;

  /** The user id, not the name: it is the same in every tab and across reconnects. */
  const isOwn = (m: MessageFrame | DirectMessageFrame) => m.from.id === me().id;

  const list = (type?: Conversation["type"]) => [...all.values()].filter((c) => type === undefined || c.type === type);

  const ensure = (key: string, type: Conversation["type"], name: string): Conversation => {
    let c = all.get(key);
    if (!c) {
      all.set(key, (c = { key, type, name, lines: [], pending: [], lastRead: 0, dmUnread: 0, divider: null, placeDivider: false, shown: MAX_LINES, older: type === "room" }));
      current ??= key;
      changed();
    }
    return c;
  };

  const lines = (c: Conversation, ms = c.type === "room" ? messages(c.name).slice(-c.shown) : []): Line[] => {
    const out: Line[] = [];
    let i = 0;
    for (const l of c.lines) {
      // A room's notice follows the message it came after; stale messages precede the new epoch.
      const after = l.type === "notice" ? l.after : 0;
      while (i < ms.length && ms[i]!.seq <= after) out.push(ms[i++]!);
      out.push(l);
    }
    return [...out, ...ms.slice(i), ...c.pending];
  };

  const lastSeq = (c: Conversation) => (c.type === "room" ? (messages(c.name).at(-1)?.seq ?? 0) : 0);

  /** Our own message replaces the oldest pending line with its text; true when it is ours. */
  const arrived = (c: Conversation, m: MessageFrame | DirectMessageFrame): boolean => {
    const own = isOwn(m);
    const i = own ? c.pending.findIndex((l) => !l.error && l.text === m.text) : -1;
    if (i >= 0) c.pending.splice(i, 1);
    changed();
    return own;
  };

  const add = (c: Conversation, line: DirectMessageFrame | Omit<Notice, "after" | "ts">) => {
    if (line.type === "notice") c.lines.push({ ...line, ts: Date.now(), after: lastSeq(c) });
    else {
      if (!arrived(c, line) && c.key !== current) {
        if (c.dmUnread === 0) c.divider = c.lines.length;
        c.dmUnread++;
      }
      c.lines.push(line);
    }
    if (c.lines.length > MAX_LINES) c.lines.splice(0, c.lines.length - MAX_LINES);
    changed();
  };

  /** A room's messages from others after the read marker (seq order: read from the end). */
  const unreadOf = (c: Conversation): MessageFrame[] => {
    const ms = messages(c.name);
    const out: MessageFrame[] = [];
    for (let i = ms.length - 1; i >= 0 && ms[i]!.seq > c.lastRead; i--) if (!isOwn(ms[i]!)) out.push(ms[i]!);
    return out;
  };
  const unread = (c: Conversation) => (c.type === "dm" ? c.dmUnread : unreadOf(c).length);

  const settle = (c: Conversation, line: PendingLine) => {
    const i = c.pending.indexOf(line);
    if (i >= 0) c.pending.splice(i, 1);
    changed();
  };

  return {
    get current() {
      return current;
    },
    get active() {
      return current === null ? undefined : all.get(current);
    },
    get: (key) => all.get(key),
    room: (name) => ensure(roomKey(name), "room", name),
    dm(peer) {
      const c = ensure(dmKey(peer), "dm", peer);
      c.name = peer;
      return c;
    },
    list,
    lines,
    add,
    arrived,
    restarted(c, previous) {
      c.lines = lines(c, previous.slice(-c.shown))
        .filter((l) => l.type !== "pending")
        .map((l): Line => (l.type === "message" ? { ...l, stale: true } : l.type === "notice" ? { ...l, after: 0 } : l));
      c.lastRead = 0;
      c.divider = null;
      c.older = false;
      add(c, { type: "notice", text: "The server restarted; the room's history starts again here." });
    },
    lastSeq,
    addPending(c, text, action) {
      const line: PendingLine = { type: "pending", text, action, ts: Date.now() };
      c.pending.push(line);
      changed();
      return line;
    },
    settle,
    fail(c, line, error) {
      if (!c.pending.includes(line)) return;
      line.error = error;
      changed();
    },
    setLastRead(c, seq) {
      if (seq <= c.lastRead) return;
      // The first marker the server tells for the room on screen places its divider.
      if (c.lastRead === 0 && c.divider === null && c.key === current) c.placeDivider = true;
      c.lastRead = seq;
      changed();
    },
    unread,
    unreadMentions(c) {
      const name = me().name;
      return name && c.type === "room" ? unreadOf(c).filter((m) => mentions(m.text, name)).length : 0;
    },
    select(key) {
      const c = all.get(key);
      if (!c) return;
      if (current !== key) {
        const old = current === null ? undefined : all.get(current);
        if (old) old.divider = null;
        current = key;
        if (c.type === "room") c.placeDivider = true;
        else c.divider = c.dmUnread > 0 ? c.lines.length - c.dmUnread : null;
      }
      c.dmUnread = 0;
      changed();
    },
    settleDivider(c) {
      if (!c.placeDivider) return;
      c.placeDivider = false;
      c.divider = unread(c) > 0 ? c.lastRead : null;
    },
    remove(key) {
      all.delete(key);
      if (current === key) current = list("room")[0]?.key ?? [...all.keys()][0] ?? null;
      changed();
    },
  };
}
