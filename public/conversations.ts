// The page's model: one conversation per room and per direct-message peer, each with its
// lines, how far its reader has read, and which one is on screen. Views read it; app.ts changes
// it. Unread counts come from the read marker for rooms (the server keeps it, so they agree
// across tabs and reloads), and from a local count for direct messages (which are not stored).
import type { DirectMessageFrame, MessageFrame } from "hubbub/client";

/** Lines kept per conversation; older ones scroll away (and come back with scrollback in rooms). */
export const MAX_LINES = 500;

/** A message of ours not yet confirmed by the server: shown at once, then replaced by the real one. */
export interface PendingLine {
  kind: "pending";
  /** Unique in the page. */
  id: number;
  text: string;
  action: boolean;
  ts: number;
  /** Why it failed, once it has; it is kept, with Retry and Discard, until the user decides. */
  error?: string;
}

export type Line =
  /** `stale`: from an earlier epoch of the room (its seq means nothing now; it is never unread). */
  | { kind: "message"; msg: MessageFrame; stale?: boolean }
  | { kind: "direct"; msg: DirectMessageFrame }
  | { kind: "notice"; text: string; ts: number }
  | PendingLine;

export interface Conversation {
  /** `#room` or `@peer` (the peer's name, lower-cased). */
  readonly key: string;
  readonly type: "room" | "dm";
  /** The room name, or the peer's display name. */
  name: string;
  readonly lines: Line[];
  /** Rooms: the read marker (a seq). */
  lastRead: number;
  /** Direct messages: unread lines (they have no seq). */
  dmUnread: number;
  /** The "new messages" divider goes after this seq (rooms) or before this line (dm); null: none. */
  divider: number | null;
  /** Place the divider at the next render, from the read marker (the messages may still be arriving now). */
  placeDivider: boolean;
  /** Rooms: older messages may still be fetched (scrollback); false once a page said there are none. */
  older: boolean;
}

export const roomKey = (room: string) => `#${room}`;
export const dmKey = (peer: string) => `@${peer.toLowerCase()}`;

let pendingIds = 0;

export class Conversations {
  private readonly all = new Map<string, Conversation>();
  current: string | null = null;
  /** The user's id, for "is this line mine"; set by app.ts. */
  me: () => { id: string | null; name: string | null } = () => ({ id: null, name: null });

  constructor(
    private readonly changed: () => void,
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

  /** Adds a line. Our own message replaces the oldest pending line with its text. */
  add(c: Conversation, line: Line): void {
    if (line.kind === "message" || line.kind === "direct") {
      if (this.isOwn(line)) {
        const i = c.lines.findIndex((l) => l.kind === "pending" && !l.error && l.text === line.msg.text);
        if (i >= 0) c.lines.splice(i, 1);
      } else if (line.kind === "direct" && c.key !== this.current) {
        if (c.dmUnread === 0) c.divider = c.lines.length;
        c.dmUnread++;
      }
    }
    // The SDK delivers a room's messages once each, in order (older ones come through prepend()).
    c.lines.push(line);
    if (c.lines.length > MAX_LINES) {
      c.lines.splice(0, c.lines.length - MAX_LINES);
      c.older = c.type === "room";
    }
    this.changed();
  }

  /** Older messages from scrollback, in ascending order; `more`: still older ones exist. */
  prepend(c: Conversation, messages: readonly MessageFrame[], more: boolean): void {
    const first = this.firstSeq(c);
    const older = messages.filter((m) => first === null || m.seq < first).map((m): Line => ({ kind: "message", msg: m }));
    c.lines.unshift(...older);
    c.older = more;
    this.changed();
  }

  /**
   * A stored message changed (edited, deleted, a reaction; the SDK's `changed` event): its line
   * shows the new state. One the page does not hold (not loaded yet, or scrolled away) is left
   * alone: it arrives in its current state when loaded.
   */
  update(c: Conversation, msg: MessageFrame): void {
    const i = c.lines.findLastIndex((l) => l.kind === "message" && !l.stale && l.msg.id === msg.id);
    if (i < 0) return;
    c.lines[i] = { kind: "message", msg };
    this.changed();
  }

  firstSeq(c: Conversation): number | null {
    for (const l of c.lines) if (l.kind === "message" && !l.stale) return l.msg.seq;
    return null;
  }

  /** The room's numbering restarted (the server lost its history): what is shown is of the old epoch. */
  restarted(c: Conversation): void {
    for (const l of c.lines) if (l.kind === "message") l.stale = true;
    c.lastRead = 0;
    c.divider = null;
    c.older = false;
    this.changed();
  }

  lastSeq(c: Conversation): number {
    for (let i = c.lines.length - 1; i >= 0; i--) {
      const l = c.lines[i]!;
      if (l.kind === "message" && !l.stale) return l.msg.seq;
    }
    return 0;
  }

  addPending(c: Conversation, text: string, action: boolean): PendingLine {
    const line: PendingLine = { kind: "pending", id: ++pendingIds, text, action, ts: Date.now() };
    c.lines.push(line);
    this.changed();
    return line;
  }

  /** The send was confirmed: its pending line goes (if the message itself has not replaced it already). */
  settle(c: Conversation, line: PendingLine): void {
    const i = c.lines.indexOf(line);
    if (i >= 0) c.lines.splice(i, 1);
    this.changed();
  }

  fail(c: Conversation, line: PendingLine, error: string): void {
    if (!c.lines.includes(line)) return;
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
    if (c.type === "dm") return c.dmUnread;
    let n = 0;
    for (const l of c.lines) if (l.kind === "message" && !l.stale && l.msg.seq > c.lastRead && !this.isOwn(l)) n++;
    return n;
  }

  /** How many of the unread lines mention the user. */
  unreadMentions(c: Conversation): number {
    const name = this.me().name;
    if (!name) return 0;
    let n = 0;
    if (c.type === "dm") return 0;
    for (const l of c.lines) if (l.kind === "message" && !l.stale && l.msg.seq > c.lastRead && !this.isOwn(l) && this.mentions(l.msg.text, name)) n++;
    return n;
  }

  isOwn(l: Line): boolean {
    // The user id, not the name: it is the same in every tab and across reconnects.
    return (l.kind === "message" || l.kind === "direct") && l.msg.from.id === this.me().id;
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
      this.all.set(key, (c = { key, type, name, lines: [], lastRead: 0, dmUnread: 0, divider: null, placeDivider: false, older: type === "room" }));
      this.current ??= key;
      this.changed();
    }
    return c;
  }
}
