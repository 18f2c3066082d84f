// The timeline of the conversation on screen. Messages are grouped by sender and minute (a
// continued line hides its avatar and name, which stay for screen readers), days get
// separators, the first unread message gets a "New messages" divider, and our own unconfirmed
// messages show as pending (or failed, with Retry and Discard). The list sticks to the bottom
// while the reader is there (also when the layout around it changes size); otherwise new
// messages raise a "New messages below" button. Near the top it asks for older messages and
// keeps the reader's place when they arrive. Room messages show their stored state (stored.ts):
// edits, tombstones, reaction chips and an actions bar; a line that changed is redrawn in place.
import { clock, el } from "../dom.ts";
import type { Conversation, Line, PendingLine } from "../conversations.ts";
import { avatar } from "./avatar.ts";
import { mentions, renderText } from "./markup.ts";
import { actionsBar, editedMark, isDeleted, reactionChips, tombstone, type LineAction } from "./stored.ts";

export interface Me {
  id: string | null;
  name: string | null;
}

export interface TimelineHost {
  me(): Me;
  /** The reader reached the top of `c`: fetch older messages if there are any. */
  needOlder(c: Conversation): void;
  /** The reader is at the bottom of `c` now (mark it read). */
  atBottom(c: Conversation): void;
  retry(c: Conversation, line: PendingLine): void;
  discard(c: Conversation, line: PendingLine): void;
  /** A click on a room message's reaction chip or action (`emoji` for a reaction). */
  act(c: Conversation, action: LineAction, id: string, emoji?: string): void;
}

/** Within this many px of the bottom counts as at the bottom; of the top, as wanting older messages. */
const STICK_PX = 48;
const OLDER_PX = 120;

const minute = (ts: number) => Math.floor(ts / 60_000);
const day = (ts: number) => new Date(ts).toDateString();

function tsOf(l: Line): number {
  return l.kind === "message" || l.kind === "direct" ? l.msg.ts : l.ts;
}

function dayLabel(ts: number): string {
  const d = new Date(ts);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  if (d.toDateString() === today.toDateString()) return "Today";
  if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
  return d.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: d.getFullYear() === today.getFullYear() ? undefined : "numeric" });
}

function ago(ts: number): string {
  const s = Math.round((Date.now() - ts) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}

function time(ts: number): HTMLTimeElement {
  const t = el("time", { datetime: new Date(ts).toISOString() }, clock(ts));
  // Absolute and relative time on hover, computed when the pointer arrives (so "ago" is fresh).
  t.addEventListener("pointerenter", () => (t.title = `${new Date(ts).toLocaleString()} (${ago(ts)})`));
  t.title = new Date(ts).toLocaleString();
  return t;
}

/** A notice whose lines are padded into columns (/help) is laid out as a two-column list. */
function noticeBody(text: string): Node {
  const lines = text.split("\n");
  if (lines.length < 3 || !lines.some((l) => /\S {2,}\S/.test(l))) return el("span", { class: "text" }, text);
  return el(
    "div",
    { class: "text columns" },
    ...lines.map((l) => {
      const m = /^(\S.*?) {2,}(\S.*)$/.exec(l);
      return m ? el("div", { class: "row" }, el("code", {}, m[1]!.trim()), el("span", {}, m[2]!)) : el("div", { class: "row wide" }, l);
    }),
  );
}

export class MessageList {
  private shown: Conversation | null = null;
  /** What is on screen: each line, and for a pending one the error it was drawn with. */
  private drawn: { line: Line; error?: string; node?: HTMLLIElement }[] = [];
  private dividerDrawn = false;
  /** The conversation's divider when the list was last drawn: a new one means a redraw. */
  private drawnDivider: number | null = null;
  private stuck = true;
  private forceEnd = false;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly jump: HTMLButtonElement,
    private readonly host: TimelineHost,
  ) {
    list.addEventListener("scroll", () => this.scrolled(), { passive: true });
    list.addEventListener("click", (e) => this.clicked(e));
    jump.addEventListener("click", () => {
      this.toEnd();
      list.focus({ preventScroll: true });
    });
    // The list's box changes when panels around it grow or the keyboard opens: stay at the bottom.
    new ResizeObserver(() => {
      if (this.stuck) this.toEnd();
    }).observe(list);
  }

  /** The next render scrolls to the bottom whatever the reader's place (their own message). */
  stickNext(): void {
    this.forceEnd = true;
  }

  render(c: Conversation | undefined): void {
    if (!c) {
      this.list.replaceChildren();
      this.shown = null;
      this.drawn = [];
      this.jump.hidden = true;
      return;
    }
    const switched = c !== this.shown;
    // Lines that only changed state (an edit, a delete, a reaction) are redrawn in place.
    const appendOnly = !switched && c.divider === this.drawnDivider && this.drawn.length <= c.lines.length && this.drawn.every((d, i) => (d.line === c.lines[i] || sameMessage(d.line, c.lines[i]!)) && (d.line.kind !== "pending" || d.line.error === d.error));
    const added = appendOnly ? c.lines.length - this.drawn.length : 0;
    const nodes: (HTMLLIElement | undefined)[] = [];
    if (appendOnly) {
      this.drawn.forEach((d, i) => (nodes[i] = d.line === c.lines[i] ? d.node : this.redraw(c, i, d.node)));
      for (let i = this.drawn.length; i < c.lines.length; i++) {
        const out = this.nodes(c, i);
        nodes[i] = out.at(-1) as HTMLLIElement;
        this.list.append(...out);
      }
    } else {
      const oldFirst = this.drawn[0]?.line;
      const prevHeight = this.list.scrollHeight;
      const prevTop = this.list.scrollTop;
      this.dividerDrawn = false;
      const all: Node[] = [];
      for (let i = 0; i < c.lines.length; i++) {
        const out = this.nodes(c, i);
        nodes[i] = out.at(-1) as HTMLLIElement;
        all.push(...out);
      }
      // A redraw is not news: out of the live region while it happens, so a screen reader
      // announces new messages, not a whole conversation on every switch.
      this.list.removeAttribute("aria-live");
      this.list.replaceChildren(...all);
      requestAnimationFrame(() => this.list.setAttribute("aria-live", "polite"));
      if (!switched && oldFirst && c.lines.indexOf(oldFirst) > 0 && !this.stuck) {
        // Older messages went in above: keep what the reader was looking at in place.
        this.list.scrollTop = prevTop + (this.list.scrollHeight - prevHeight);
      } else if (!switched) this.list.scrollTop = prevTop;
    }
    this.drawnDivider = c.divider;
    this.drawn = c.lines.map((line, i) => (line.kind === "pending" ? { line, error: line.error, node: nodes[i] } : { line, node: nodes[i] }));
    this.shown = c;
    if (switched) {
      this.stuck = true;
      const divider = this.list.querySelector(".divider");
      if (divider) divider.scrollIntoView({ block: "center" });
      else this.toEnd();
      this.scrolled();
    } else if (this.forceEnd || this.stuck) this.toEnd();
    else if (added > 0) this.jump.hidden = false;
    this.forceEnd = false;
  }

  /** The nodes for line `i`: a day separator or the divider when they fall before it, then the line. */
  private nodes(c: Conversation, i: number): Node[] {
    const me = this.host.me();
    const line = c.lines[i]!;
    const prev = c.lines[i - 1];
    const out: Node[] = [];
    if (!prev || day(tsOf(prev)) !== day(tsOf(line))) out.push(el("li", { class: "day" }, el("span", {}, dayLabel(tsOf(line)))));
    const own = (line.kind === "message" || line.kind === "direct") && line.msg.from.id === me.id;
    let divider = false;
    if (!this.dividerDrawn && c.divider !== null && !own) {
      divider = c.type === "room" ? line.kind === "message" && !line.stale && line.msg.seq > c.divider : i >= c.divider && line.kind === "direct";
      if (divider) {
        this.dividerDrawn = true;
        out.push(el("li", { class: "divider" }, el("span", {}, "New messages")));
      }
    }
    const cont = !divider && out.length === 0 && prev !== undefined && continues(prev, line);
    out.push(this.line(c, line, me, own, cont));
    return out;
  }

  /** Line `i` of `c` again, in place of `old` (its grouping kept); focus stays on the same control. */
  private redraw(c: Conversation, i: number, old: HTMLLIElement | undefined): HTMLLIElement | undefined {
    const line = c.lines[i]!;
    if (!old) return old;
    const me = this.host.me();
    const own = (line.kind === "message" || line.kind === "direct") && line.msg.from.id === me.id;
    const fresh = this.line(c, line, me, own, old.classList.contains("cont"));
    if (old.classList.contains("open")) fresh.classList.add("open");
    const focused = document.activeElement instanceof HTMLElement && old.contains(document.activeElement) ? document.activeElement : null;
    old.replaceWith(fresh);
    if (focused) {
      const { action, emoji } = focused.dataset;
      const same = [...fresh.querySelectorAll<HTMLElement>("button[data-action]")].find((b) => b.dataset.action === action && b.dataset.emoji === emoji);
      (same ?? this.list).focus({ preventScroll: true });
    }
    return fresh;
  }

  /** A click in the list: a message's button acts; a tap elsewhere on a line shows its actions (phones have no hover). */
  private clicked(e: MouseEvent): void {
    const c = this.shown;
    const target = e.target as HTMLElement;
    const li = target.closest<HTMLLIElement>("li.msg");
    const button = target.closest<HTMLButtonElement>("button[data-action]");
    const id = li?.dataset.id;
    if (button && c && id) {
      this.host.act(c, button.dataset.action as LineAction, id, button.dataset.emoji);
      return;
    }
    if (target.closest("a, button, pre") || window.getSelection()?.toString()) return;
    for (const o of this.list.querySelectorAll("li.open")) if (o !== li) o.classList.remove("open");
    if (li?.dataset.id) li.classList.toggle("open");
  }

  private line(c: Conversation, line: Line, me: Me, own: boolean, cont: boolean): HTMLLIElement {
    if (line.kind === "notice") return el("li", { class: "line notice" }, time(line.ts), noticeBody(line.text));
    if (line.kind === "pending") return this.pending(c, line, me);
    const m = line.msg;
    const from = el("span", { class: "from" }, m.from.name);
    const you = own ? el("span", { class: "visually-hidden" }, " (you)") : null;
    const mentioned = !own && me.name !== null && mentions(m.text, me.name);
    const stored = line.kind === "message" ? line.msg : null;
    const deleted = stored !== null && isDeleted(stored);
    const cls = ["line", "msg", own ? "own" : "", line.kind === "direct" ? "direct" : "", cont ? "cont" : "", mentioned ? "mentioned" : "", deleted ? "deleted" : ""];
    const attrs: Record<string, string> = {};
    if (stored) {
      attrs["data-seq"] = String(stored.seq);
      attrs["data-id"] = stored.id;
    }
    // Stored messages: the tombstone or "(edited)", reaction chips, and the actions bar.
    const extras = stored && line.kind === "message" && !line.stale ? [reactionChips(stored, me.id), actionsBar(stored, own)] : [];
    if (stored?.kind === "action" && !deleted) {
      return el("li", { ...attrs, class: [...cls, "action"].filter(Boolean).join(" ") }, avatar(m.from), time(m.ts), el("span", { class: "text" }, "* ", from, you, " ", ...renderText(m.text, me.name), editedMark(stored)), ...extras);
    }
    const text = deleted ? tombstone() : el("div", { class: "text" }, ...renderText(m.text, me.name), stored ? editedMark(stored) : null);
    return el("li", { ...attrs, class: cls.filter(Boolean).join(" ") }, avatar(m.from), el("div", { class: "head" }, from, you, time(m.ts)), text, ...extras);
  }

  private pending(c: Conversation, line: PendingLine, me: Me): HTMLLIElement {
    const who = { id: me.id ?? "", name: me.name ?? "you" };
    const state = line.error
      ? el("span", { class: "state failed" }, `Not sent: ${line.error}`, button("Retry", () => this.host.retry(c, line)), button("Discard", () => this.host.discard(c, line)))
      : el("span", { class: "state" }, "Sending…");
    const text = line.action ? el("span", { class: "text" }, "* ", who.name, " ", line.text) : el("div", { class: "text" }, ...renderText(line.text, me.name));
    return el("li", { class: `line msg own pending${line.error ? " failed" : ""}${line.action ? " action" : ""}`, "aria-busy": line.error ? undefined : "true" }, avatar(who), el("div", { class: "head" }, el("span", { class: "from" }, who.name), time(line.ts)), text, state);
  }

  private scrolled(): void {
    const l = this.list;
    this.stuck = l.scrollHeight - l.scrollTop - l.clientHeight < STICK_PX;
    // Where the reader is, for the stylesheet and for tests that must wait until a scroll was seen.
    l.dataset.stuck = String(this.stuck);
    if (this.stuck) this.jump.hidden = true;
    const c = this.shown;
    if (!c) return;
    if (this.stuck) this.host.atBottom(c);
    if (l.scrollTop < OLDER_PX && c.older) this.host.needOlder(c);
  }

  private toEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
    this.stuck = true;
    this.list.dataset.stuck = "true";
    this.jump.hidden = true;
  }

  /** Whether the reader is at the bottom (app.ts marks rooms read only then). */
  get atBottom(): boolean {
    return this.stuck;
  }
}

/** The same stored message, in a new state (the model replaced its line). */
function sameMessage(a: Line, b: Line): boolean {
  return a.kind === "message" && b.kind === "message" && a.msg.id === b.msg.id && a.msg.seq === b.msg.seq;
}

function continues(prev: Line, line: Line): boolean {
  if ((prev.kind !== "message" && prev.kind !== "direct") || (line.kind !== "message" && line.kind !== "direct")) return false;
  if (prev.kind === "message" && prev.msg.kind === "action") return false;
  if (line.kind === "message" && line.msg.kind === "action") return false;
  return prev.msg.from.id === line.msg.from.id && minute(prev.msg.ts) === minute(line.msg.ts);
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = el("button", { type: "button", class: "link-button" }, label);
  b.addEventListener("click", onClick);
  return b;
}
