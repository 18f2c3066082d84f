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

export class Conversations {
  private readonly all = new Map<string, Conversation>();
  current: string | null = null;
  /** The user's id and name, for "is this line mine" and mentions; set by app.ts. */
  me: () => { id: string | null; name: string | null } = () => ({ id: null, name: null });

  constructor(
    private readonly changed: () => void,
    /** The SDK's messages of a room, in seq order and in their current state. */
    private readonly messages: (room: string) => readonly MessageFrame[],
    /** Whether a text mentions the user (markup.ts), for the mention badges. */
    private readonly mentions: (text: string, name: string) => boolean,
  ) {}

  get(key: string): Conversation | undefined {
    return this.all.get(key);
  }

  room(name: string): Conversation {
    return this.ensure(roomKey(name), "room", name);
  }

  dm(peer: string): Conversation {
    const c = this.ensure(dmKey(peer), "dm", peer);
    c.name = peer;
    return c;
  }

  list(type?: Conversation["type"]): Conversation[] {
    return [...this.all.values()].filter((c) => type === undefined || c.type === type);
  }

  /** What the conversation shows, in order: its lines, a room's messages merged in by seq, then the pending sends. */
  lines(c: Conversation, messages = c.type === "room" ? this.messages(c.name).slice(-c.shown) : []): Line[] {
    const out: Line[] = [];
    let i = 0;
    for (const l of c.lines) {
      // A room's notice follows the message it came after; stale messages precede the new epoch.
      const after = l.type === "notice" ? l.after : 0;
      while (i < messages.length && messages[i]!.seq <= after) out.push(messages[i++]!);
      out.push(l);
    }
    return [...out, ...messages.slice(i), ...c.pending];
  }

  /** A direct message, or a notice. */
  add(c: Conversation, line: DirectMessageFrame | Omit<Notice, "after" | "ts">): void {
    if (line.type === "notice") c.lines.push({ ...line, ts: Date.now(), after: this.lastSeq(c) });
    else {
      if (!this.arrived(c, line) && c.key !== this.current) {
        if (c.dmUnread === 0) c.divider = c.lines.length;
        c.dmUnread++;
      }
      c.lines.push(line);
    }
    if (c.lines.length > MAX_LINES) c.lines.splice(0, c.lines.length - MAX_LINES);
    this.changed();
  }

  /** A message reached the conversation; our own replaces the oldest pending line with its text. True when it is ours. */
  arrived(c: Conversation, m: MessageFrame | DirectMessageFrame): boolean {
    const own = this.isOwn(m);
    const i = own ? c.pending.findIndex((l) => !l.error && l.text === m.text) : -1;
    if (i >= 0) c.pending.splice(i, 1);
    this.changed();
    return own;
  }

  /** The room's numbering restarted (the server lost its history): what it showed is of the old epoch. */
  restarted(c: Conversation, previous: readonly MessageFrame[]): void {
    c.lines = this.lines(c, previous.slice(-c.shown))
      .filter((l) => l.type !== "pending")
      .map((l): Line => (l.type === "message" ? { ...l, stale: true } : l.type === "notice" ? { ...l, after: 0 } : l));
    c.lastRead = 0;
    c.divider = null;
    c.older = false;
    this.add(c, { type: "notice", text: "The server restarted; the room's history starts again here." });
  }

  /** The newest seq of a room's messages; 0 when none. */
  lastSeq(c: Conversation): number {
    return c.type === "room" ? (this.messages(c.name).at(-1)?.seq ?? 0) : 0;
  }

  addPending(c: Conversation, text: string, action: boolean): PendingLine {
    const line: PendingLine = { type: "pending", text, action, ts: Date.now() };
    c.pending.push(line);
    this.changed();
    return line;
  }

  /** The send was confirmed: its pending line goes (if the message itself has not replaced it already). */
  settle(c: Conversation, line: PendingLine): void {
    const i = c.pending.indexOf(line);
    if (i >= 0) c.pending.splice(i, 1);
    this.changed();
  }

  fail(c: Conversation, line: PendingLine, error: string): void {
    if (!c.pending.includes(line)) return;
    line.error = error;
    this.changed();
  }

  /** Raises a room's read marker (from this tab, another, or the server). */
  setLastRead(c: Conversation, seq: number): void {
    if (seq <= c.lastRead) return;
    // The first marker the server tells for the room on screen places its divider.
    if (c.lastRead === 0 && c.divider === null && c.key === this.current) c.placeDivider = true;
    c.lastRead = seq;
    this.changed();
  }

  /** Messages from others after the read marker (rooms), or unread direct messages. */
  unread(c: Conversation): number {
    return c.type === "dm" ? c.dmUnread : this.unreadOf(c).length;
  }

  /** How many of the unread lines mention the user. */
  unreadMentions(c: Conversation): number {
    const name = this.me().name;
    return name && c.type === "room" ? this.unreadOf(c).filter((m) => this.mentions(m.text, name)).length : 0;
  }

  /** A room's messages from others after the read marker (seq order: read from the end). */
  private unreadOf(c: Conversation): MessageFrame[] {
    const ms = this.messages(c.name);
    const out: MessageFrame[] = [];
    for (let i = ms.length - 1; i >= 0 && ms[i]!.seq > c.lastRead; i--) if (!this.isOwn(ms[i]!)) out.push(ms[i]!);
    return out;
  }

  /** The user id, not the name: it is the same in every tab and across reconnects. */
  isOwn(m: MessageFrame | DirectMessageFrame): boolean {
    return m.from.id === this.me().id;
  }

  select(key: string): void {
    const c = this.all.get(key);
    if (!c) return;
    if (this.current !== key) {
      const old = this.active;
      if (old) old.divider = null;
      this.current = key;
      if (c.type === "room") c.placeDivider = true;
      else c.divider = c.dmUnread > 0 ? c.lines.length - c.dmUnread : null;
    }
    c.dmUnread = 0;
    this.changed();
  }

  /** Called before drawing: a divider waiting to be placed goes before the first unread message. */
  settleDivider(c: Conversation): void {
    if (!c.placeDivider) return;
    c.placeDivider = false;
    c.divider = this.unread(c) > 0 ? c.lastRead : null;
  }

  remove(key: string): void {
    this.all.delete(key);
    if (this.current === key) this.current = this.list("room")[0]?.key ?? [...this.all.keys()][0] ?? null;
    this.changed();
  }

  get active(): Conversation | undefined {
    return this.current === null ? undefined : this.all.get(this.current);
  }

  private ensure(key: string, type: Conversation["type"], name: string): Conversation {
    let c = this.all.get(key);
    if (!c) {
      this.all.set(key, (c = { key, type, name, lines: [], pending: [], lastRead: 0, dmUnread: 0, divider: null, placeDivider: false, shown: MAX_LINES, older: type === "room" }));
      this.current ??= key;
      this.changed();
    }
    return c;
  }
}
