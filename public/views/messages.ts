// The message list of the conversation on screen. Own messages carry the `own` class and a
// "(you)" label for screen readers; `/me` actions read "* alice waves"; every line shows its time.
import { clock, el } from "../dom.ts";
import type { MessageFrame } from "hubbub/client";
import type { Conversation, Line } from "../conversations.ts";

export interface Me {
  id: string | null;
  name: string | null;
}

export function isOwn(line: Line, me: Me): boolean {
  if (line.kind === "notice") return false;
  // The user id, not the name: it is the same in every tab and across reconnects, and a name
  // may have belonged to someone else earlier in the conversation.
  return line.msg.from.id === me.id;
}

/** The actions a message line offers (handled once, by delegation on the list). */
export type LineAction = "react" | "edit" | "delete";

/** The reaction the page offers with one click. */
export const QUICK_REACTION = "👍";

/** Reactions as buttons (`👍 2`, pressed when the reader is among them), and the line's actions. */
function extras(m: MessageFrame, own: boolean, me: Me): (HTMLElement | null)[] {
  if (m.deleted) return [];
  const reactions = Object.entries(m.reactions ?? {}).map(([emoji, ids]) =>
    el("button", { class: "reaction", type: "button", "data-action": "react", "data-emoji": emoji, "aria-pressed": String(me.id !== null && ids.includes(me.id)) }, `${emoji} ${ids.length}`),
  );
  const act = (action: LineAction, label: string, text: string) => el("button", { class: "act", type: "button", "data-action": action, "aria-label": label }, text);
  const actions = el("span", { class: "actions" }, m.reactions?.[QUICK_REACTION] ? null : act("react", `React ${QUICK_REACTION}`, QUICK_REACTION), own ? act("edit", "Edit", "Edit") : null, own ? act("delete", "Delete", "Delete") : null);
  return [...reactions, actions];
}

/** A message's text as it stands: a tombstone once deleted, "(edited)" once edited. */
function body(m: MessageFrame, ...before: (Node | string | null)[]): HTMLElement {
  if (m.deleted) return el("span", { class: "text deleted" }, "message deleted");
  return el("span", { class: "text" }, ...before, m.text, m.edited ? el("span", { class: "edited" }, " (edited)") : null);
}

export function renderLine(line: Line, me: Me): HTMLLIElement {
  const time = (ts: number) => el("time", { datetime: new Date(ts).toISOString() }, clock(ts));
  if (line.kind === "notice") return el("li", { class: "line notice" }, time(line.ts), el("span", { class: "text" }, line.text));
  const m = line.msg;
  const own = isOwn(line, me);
  const from = el("span", { class: "from" }, m.from.name);
  const you = own ? el("span", { class: "visually-hidden" }, " (you)") : null;
  if (line.kind === "message" && line.msg.kind === "action") {
    return el("li", { class: `line msg action${own ? " own" : ""}`, "data-seq": String(line.msg.seq), "data-id": line.msg.id }, time(m.ts), body(line.msg, "* ", from, you, " "), ...extras(line.msg, own, me));
  }
  const attrs: Record<string, string> = { class: `line msg${own ? " own" : ""}${line.kind === "direct" ? " direct" : ""}` };
  if (line.kind === "direct") return el("li", attrs, time(m.ts), from, you, el("span", { class: "text" }, m.text));
  attrs["data-seq"] = String(line.msg.seq);
  attrs["data-id"] = line.msg.id;
  return el("li", attrs, time(m.ts), from, you, body(line.msg), ...extras(line.msg, own, me));
}

export class MessageList {
  private shown: Conversation | null = null;
  private count = 0;
  private version = 0;

  /**
   * `act`: a click on a line's reaction or action button (message `id` of the shown room);
   * `older`: the reader scrolled to the top of a room (load its older messages).
   */
  constructor(
    private readonly list: HTMLOListElement,
    private readonly me: () => Me,
    act: (action: LineAction, id: string, emoji?: string) => void = () => {},
    older: () => void = () => {},
  ) {
    list.addEventListener("click", (e) => {
      const button = (e.target as HTMLElement).closest<HTMLElement>("button[data-action]");
      const id = button?.closest<HTMLElement>("li[data-id]")?.dataset.id;
      if (button && id) act(button.dataset.action as LineAction, id, button.dataset.emoji);
    });
    list.addEventListener("scroll", () => {
      if (list.scrollTop === 0 && this.shown?.type === "room") older();
    });
  }

  /** Brings the list in line with `c`: a full redraw on a switch, appends otherwise. */
  render(c: Conversation | undefined): void {
    if (!c) {
      this.list.replaceChildren();
      this.shown = null;
      return;
    }
    const switched = c !== this.shown;
    const stick = switched || this.atBottom();
    if (switched || c.lines.length < this.count || c.version !== this.version) {
      // A redraw keeps the reader where they were (older lines may have come in above).
      const fromBottom = this.list.scrollHeight - this.list.scrollTop;
      this.list.replaceChildren(...c.lines.map((l) => renderLine(l, this.me())));
      if (!switched && !stick) this.list.scrollTop = this.list.scrollHeight - fromBottom;
      this.shown = c;
      this.version = c.version;
    } else {
      for (const l of c.lines.slice(this.count)) this.list.append(renderLine(l, this.me()));
      while (this.list.childElementCount > c.lines.length) this.list.firstElementChild?.remove();
    }
    this.count = c.lines.length;
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }

  private atBottom(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
  }
}
