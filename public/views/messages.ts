// The timeline of the conversation on screen. Messages are grouped by sender and minute (a
// continued line hides its avatar and name, which stay for screen readers), days get
// separators, the first unread message gets a "New messages" divider, and our own unconfirmed
// messages show as pending (or failed, with Retry and Discard). The list sticks to the bottom
// while the reader is there (also when the layout around it changes size); otherwise new
// messages raise a "New messages below" button. Near the top it asks for older messages and
// keeps the reader's place when they arrive. Room messages show their stored state (stored.ts):
// edits, tombstones, reaction chips and an actions bar; a line that changed is redrawn in place.
// One timeline per page: its state lives in the closure of createTimeline().
import { clock, el } from "../dom.ts";
import type { Conversation, Line, Me, PendingLine } from "../conversations.ts";
import { avatar } from "./avatar.ts";
import { mentions, renderText } from "./markup.ts";
import { actionsBar, editedMark, isDeleted, reactionChips, tombstone, type LineAction } from "./stored.ts";

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

export interface Timeline {
  /** Draws `c` showing `lines` (the model's lines(c)), or nothing. */
  render(c: Conversation | undefined, lines: readonly Line[]): void;
  /** The next render scrolls to the bottom whatever the reader's place (their own message). */
  stickNext(): void;
  /** Whether the reader is at the bottom (app.ts marks rooms read only then). */
  readonly atBottom: boolean;
}

/** Within this many px of the bottom counts as at the bottom; of the top, as wanting older messages. */
const STICK_PX = 48;
const OLDER_PX = 120;

const minute = (ts: number) => Math.floor(ts / 60_000);
const day = (ts: number) => new Date(ts).toDateString();

function dayLabel(ts: number): string {
  const d = new Date(ts);
  const today = new Date();
  if (day(ts) === today.toDateString()) return "Today";
  if (day(ts + 86_400_000) === today.toDateString()) return "Yesterday";
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

/** Whether the line is a message of ours (the user id, the same in every tab). */
const isOwn = (l: Line, me: Me) => "from" in l && l.from.id === me.id;
const isAction = (l: Line) => l.type === "message" && l.kind === "action";

/** The same stored message, in a new state (the model replaced its line). */
const sameMessage = (a: Line, b: Line | undefined) => a.type === "message" && b?.type === "message" && a.id === b.id && a.seq === b.seq;

/** A message continues the one before it: same sender, same minute, neither an action. */
const continues = (prev: Line, l: Line) => "from" in prev && "from" in l && !isAction(prev) && !isAction(l) && prev.from.id === l.from.id && minute(prev.ts) === minute(l.ts);

function button(label: string, onClick: () => void): HTMLButtonElement {
  const b = el("button", { type: "button", class: "link-button" }, label);
  b.addEventListener("click", onClick);
  return b;
}

export function createTimeline(list: HTMLOListElement, jump: HTMLButtonElement, host: TimelineHost): Timeline {
  let shown: Conversation | null = null;
  let lines: readonly Line[] = [];
  /** What is on screen: each line, and for a pending one the error it was drawn with. */
  let drawn: { line: Line; error?: string; node: HTMLLIElement }[] = [];
  let dividerDrawn = false;
  /** The conversation's divider when the list was last drawn: a new one means a redraw. */
  let drawnDivider: number | null = null;
  let stuck = true;
  let forceEnd = false;

  const toEnd = () => {
    list.scrollTop = list.scrollHeight;
    stuck = true;
    list.dataset.stuck = "true";
    jump.hidden = true;
  };

  const scrolled = () => {
    stuck = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_PX;
    // Where the reader is, for the stylesheet and for tests that must wait until a scroll was seen.
    list.dataset.stuck = String(stuck);
    if (stuck) jump.hidden = true;
    if (!shown) return;
    if (stuck) host.atBottom(shown);
    if (list.scrollTop < OLDER_PX && shown.older) host.needOlder(shown);
  };

  const pending = (c: Conversation, l: PendingLine, me: Me): HTMLLIElement => {
    const who = { id: me.id ?? "", name: me.name ?? "you" };
    const state = l.error
      ? el("span", { class: "state failed" }, `Not sent: ${l.error}`, button("Retry", () => host.retry(c, l)), button("Discard", () => host.discard(c, l)))
      : el("span", { class: "state" }, "Sending…");
    const text = l.action ? el("span", { class: "text" }, "* ", who.name, " ", l.text) : el("div", { class: "text" }, ...renderText(l.text, me.name));
    return el("li", { class: `line msg own pending${l.error ? " failed" : ""}${l.action ? " action" : ""}`, "aria-busy": l.error ? undefined : "true" }, avatar(who), el("div", { class: "head" }, el("span", { class: "from" }, who.name), time(l.ts)), text, state);
  };

  const line = (c: Conversation, l: Line, me: Me, cont: boolean): HTMLLIElement => {
    if (l.type === "notice") return el("li", { class: "line notice" }, time(l.ts), noticeBody(l.text));
    if (l.type === "pending") return pending(c, l, me);
    const own = isOwn(l, me);
    const from = el("span", { class: "from" }, l.from.name);
    const you = own ? el("span", { class: "visually-hidden" }, " (you)") : null;
    const stored = l.type === "message" ? l : null;
    const deleted = stored !== null && isDeleted(stored);
    const cls = ["line msg", own && "own", !stored && "direct", cont && "cont", !own && me.name !== null && mentions(l.text, me.name) && "mentioned", deleted && "deleted", stored?.kind === "action" && !deleted && "action"].filter(Boolean).join(" ");
    const attrs = { class: cls, "data-seq": stored ? String(stored.seq) : undefined, "data-id": stored?.id };
    // Stored messages: the tombstone or "(edited)", reaction chips, and the actions bar.
    const extras = stored && !("stale" in stored) ? [reactionChips(stored, me.id), actionsBar(stored, own)] : [];
    const mark = stored && editedMark(stored);
    if (stored?.kind === "action" && !deleted) return el("li", attrs, avatar(l.from), time(l.ts), el("span", { class: "text" }, "* ", from, you, " ", ...renderText(l.text, me.name), mark), ...extras);
    const text = deleted ? tombstone() : el("div", { class: "text" }, ...renderText(l.text, me.name), mark);
    return el("li", attrs, avatar(l.from), el("div", { class: "head" }, from, you, time(l.ts)), text, ...extras);
  };

  /** The nodes for line `i`: a day separator or the divider when they fall before it, then the line. */
  const nodes = (c: Conversation, i: number): HTMLLIElement[] => {
    const me = host.me();
    const l = lines[i]!;
    const prev = lines[i - 1];
    const out: HTMLLIElement[] = [];
    if (!prev || day(prev.ts) !== day(l.ts)) out.push(el("li", { class: "day" }, el("span", {}, dayLabel(l.ts))));
    let divider = false;
    if (!dividerDrawn && c.divider !== null && !isOwn(l, me)) {
      divider = c.type === "room" ? l.type === "message" && !("stale" in l) && l.seq > c.divider : i >= c.divider && l.type === "direct";
      if (divider) {
        dividerDrawn = true;
        out.push(el("li", { class: "divider" }, el("span", {}, "New messages")));
      }
    }
    out.push(line(c, l, me, !divider && out.length === 0 && prev !== undefined && continues(prev, l)));
    return out;
  };

  /** Line `i` again, in place of `old` (its grouping kept); focus stays on the same control. */
  const redraw = (c: Conversation, i: number, old: HTMLLIElement): HTMLLIElement => {
    const fresh = line(c, lines[i]!, host.me(), old.classList.contains("cont"));
    if (old.classList.contains("open")) fresh.classList.add("open");
    const focused = document.activeElement instanceof HTMLElement && old.contains(document.activeElement) ? document.activeElement : null;
    old.replaceWith(fresh);
    if (focused) {
      const { action, emoji } = focused.dataset;
      const same = [...fresh.querySelectorAll<HTMLElement>("button[data-action]")].find((b) => b.dataset.action === action && b.dataset.emoji === emoji);
      (same ?? list).focus({ preventScroll: true });
    }
    return fresh;
  };

  const render = (c: Conversation | undefined, next: readonly Line[]): void => {
    if (!c) {
      list.replaceChildren();
      shown = null;
      drawn = [];
      jump.hidden = true;
      return;
    }
    lines = next;
    const switched = c !== shown;
    // Lines that only changed state (an edit, a delete, a reaction) are redrawn in place.
    const appendOnly = !switched && c.divider === drawnDivider && drawn.length <= lines.length && drawn.every((d, i) => (d.line === lines[i] || sameMessage(d.line, lines[i])) && (d.line.type !== "pending" || d.line.error === d.error));
    const added = appendOnly ? lines.length - drawn.length : 0;
    const at: HTMLLIElement[] = [];
    if (appendOnly) {
      drawn.forEach((d, i) => (at[i] = d.line === lines[i] ? d.node : redraw(c, i, d.node)));
      for (let i = drawn.length; i < lines.length; i++) {
        const out = nodes(c, i);
        at[i] = out.at(-1)!;
        list.append(...out);
      }
    } else {
      const oldFirst = drawn[0]?.line;
      const prevHeight = list.scrollHeight;
      const prevTop = list.scrollTop;
      dividerDrawn = false;
      const all: Node[] = [];
      for (let i = 0; i < lines.length; i++) {
        const out = nodes(c, i);
        at[i] = out.at(-1)!;
        all.push(...out);
      }
      // A redraw is not news: out of the live region while it happens, so a screen reader
      // announces new messages, not a whole conversation on every switch.
      list.removeAttribute("aria-live");
      list.replaceChildren(...all);
      requestAnimationFrame(() => list.setAttribute("aria-live", "polite"));
      if (!switched && oldFirst && lines.indexOf(oldFirst) > 0 && !stuck) {
        // Older messages went in above: keep what the reader was looking at in place.
        list.scrollTop = prevTop + (list.scrollHeight - prevHeight);
      } else if (!switched) list.scrollTop = prevTop;
    }
    drawnDivider = c.divider;
    drawn = lines.map((l, i) => ({ line: l, error: l.type === "pending" ? l.error : undefined, node: at[i]! }));
    shown = c;
    if (switched) {
      stuck = true;
      const divider = list.querySelector(".divider");
      if (divider) divider.scrollIntoView({ block: "center" });
      else toEnd();
      scrolled();
    } else if (forceEnd || stuck) toEnd();
    else if (added > 0) jump.hidden = false;
    forceEnd = false;
  };

  list.addEventListener("scroll", scrolled, { passive: true });
  // A click in the list: a message's button acts; a tap elsewhere on a line shows its actions (phones have no hover).
  list.addEventListener("click", (e) => {
    const target = e.target as HTMLElement;
    const li = target.closest<HTMLLIElement>("li.msg");
    const b = target.closest<HTMLButtonElement>("button[data-action]");
    const id = li?.dataset.id;
    if (b && shown && id) return host.act(shown, b.dataset.action as LineAction, id, b.dataset.emoji);
    if (target.closest("a, button, pre") || window.getSelection()?.toString()) return;
    for (const o of list.querySelectorAll("li.open")) if (o !== li) o.classList.remove("open");
    if (id) li!.classList.toggle("open");
  });
  jump.addEventListener("click", () => {
    toEnd();
    list.focus({ preventScroll: true });
  });
  // The list's box changes when panels around it grow or the keyboard opens: stay at the bottom.
  new ResizeObserver(() => stuck && toEnd()).observe(list);

  return {
    render,
    stickNext: () => (forceEnd = true),
    get atBottom() {
      return stuck;
    },
  };
}
