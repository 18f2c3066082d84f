// The page's model: one conversation per room and per direct-message peer, each with its
// lines and unread count, and which one is on screen. Views read it; app.ts changes it.
import type { DirectMessageFrame, MessageFrame } from "hubbub/client";

/** Lines kept per conversation; older ones scroll away for good. */
export const MAX_LINES = 500;

export type Line =
  | { kind: "message"; msg: MessageFrame }
  | { kind: "direct"; msg: DirectMessageFrame }
  | { kind: "notice"; text: string; ts: number };

export interface Conversation {
  /** `#room` or `@peer` (the peer's name, lower-cased). */
  readonly key: string;
  readonly type: "room" | "dm";
  /** The room name, or the peer's display name. */
  name: string;
  readonly lines: Line[];
  unread: number;
  /** Bumped when a line changed or older ones were added: the view redraws instead of appending. */
  version: number;
}

export const roomKey = (room: string) => `#${room}`;
export const dmKey = (peer: string) => `@${peer.toLowerCase()}`;

export class Conversations {
  private readonly all = new Map<string, Conversation>();
  current: string | null = null;

  constructor(private readonly changed: () => void) {}

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

  list(type: Conversation["type"]): Conversation[] {
    return [...this.all.values()].filter((c) => c.type === type);
  }

  /** Adds a line; it counts as unread unless its conversation is on screen or it is our own. */
  add(c: Conversation, line: Line, own = false): void {
    c.lines.push(line);
    if (c.lines.length > MAX_LINES) c.lines.splice(0, c.lines.length - MAX_LINES);
    if (c.key !== this.current && !own && line.kind !== "notice") c.unread++;
    this.changed();
  }

  /** A message on screen changed (edited, deleted, a reaction): its line shows the new state. */
  update(c: Conversation, msg: MessageFrame): void {
    const i = c.lines.findLastIndex((l) => l.kind === "message" && l.msg.id === msg.id);
    if (i < 0) return;
    c.lines[i] = { kind: "message", msg };
    c.version++;
    this.changed();
  }

  /** Older messages (scrollback) go before the first line, each once. */
  prepend(c: Conversation, msgs: readonly MessageFrame[]): void {
    const have = new Set(c.lines.flatMap((l) => (l.kind === "message" ? [l.msg.id] : [])));
    const older = msgs.filter((m) => !have.has(m.id)).map((msg): Line => ({ kind: "message", msg }));
    if (older.length === 0) return;
    c.lines.unshift(...older);
    c.version++;
    this.changed();
  }

  select(key: string): void {
    const c = this.all.get(key);
    if (!c) return;
    this.current = key;
    c.unread = 0;
    this.changed();
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
      this.all.set(key, (c = { key, type, name, lines: [], unread: 0, version: 0 }));
      this.current ??= key;
      this.changed();
    }
    return c;
  }
}
