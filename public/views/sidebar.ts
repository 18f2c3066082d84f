// The conversation lists: rooms and direct messages, each a button with its unread count; a
// count that includes mentions of the user is marked as such (colour and "@", and in words).
import { el } from "../dom.ts";
import type { Conversation, Conversations } from "../conversations.ts";

export function renderSidebar(rooms: HTMLUListElement, dms: HTMLUListElement, model: Conversations, open: (key: string) => void): void {
  const item = (c: Conversation) => {
    const current = c.key === model.current;
    const label = c.type === "room" ? `#${c.name}` : `@${c.name}`;
    const unread = model.unread(c);
    const mentions = model.unreadMentions(c);
    // The badge's words follow it, hidden but read out: the accessible name starts with
    // exactly what is visible ("#den @2"), as WCAG 2.5.3 asks.
    const words = mentions > 0 ? ` unread, ${mentions} mentioning you` : " unread";
    const button = el(
      "button",
      { type: "button", class: "conversation", "aria-current": current ? "true" : undefined, "data-key": c.key },
      el("span", { class: "label" }, label),
      unread > 0 ? el("span", { class: mentions > 0 ? "unread mention" : "unread" }, mentions > 0 ? `@${unread}` : String(unread)) : null,
      unread > 0 ? el("span", { class: "visually-hidden" }, words) : null,
    );
    button.addEventListener("click", () => open(c.key));
    return el("li", {}, button);
  };
  rooms.replaceChildren(...model.list("room").map(item));
  dms.replaceChildren(...model.list("dm").map(item));
}
