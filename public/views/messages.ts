// The message list of the conversation on screen. Own messages carry the `own` class and a
// "(you)" label for screen readers; `/me` actions read "* alice waves"; every line shows its time.
import { clock, el } from "../dom.ts";
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

export function renderLine(line: Line, me: Me): HTMLLIElement {
  const time = (ts: number) => el("time", { datetime: new Date(ts).toISOString() }, clock(ts));
  if (line.kind === "notice") return el("li", { class: "line notice" }, time(line.ts), el("span", { class: "text" }, line.text));
  const m = line.msg;
  const own = isOwn(line, me);
  const from = el("span", { class: "from" }, m.from.name);
  const you = own ? el("span", { class: "visually-hidden" }, " (you)") : null;
  if (line.kind === "message" && line.msg.kind === "action") {
    return el("li", { class: `line msg action${own ? " own" : ""}`, "data-seq": String(line.msg.seq) }, time(m.ts), el("span", { class: "text" }, "* ", from, you, " ", m.text));
  }
  const attrs: Record<string, string> = { class: `line msg${own ? " own" : ""}${line.kind === "direct" ? " direct" : ""}` };
  if ("seq" in m) attrs["data-seq"] = String(m.seq);
  return el("li", attrs, time(m.ts), from, you, el("span", { class: "text" }, m.text));
}

export class MessageList {
  private shown: Conversation | null = null;
  private count = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly me: () => Me,
  ) {}

  /** Brings the list in line with `c`: a full redraw on a switch, appends otherwise. */
  render(c: Conversation | undefined): void {
    if (!c) {
      this.list.replaceChildren();
      this.shown = null;
      return;
    }
    const switched = c !== this.shown;
    const stick = switched || this.atBottom();
    if (switched || c.lines.length < this.count) {
      this.list.replaceChildren(...c.lines.map((l) => renderLine(l, this.me())));
      this.shown = c;
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
