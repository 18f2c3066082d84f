// The conversation lists: rooms and direct messages, each a button with its unread count.
import { el } from "../dom.ts";
import type { Conversation, Conversations } from "../conversations.ts";

export function renderSidebar(rooms: HTMLUListElement, dms: HTMLUListElement, model: Conversations, open: (key: string) => void): void {
  const item = (c: Conversation) => {
    const current = c.key === model.current;
    const label = c.type === "room" ? `#${c.name}` : `@${c.name}`;
    const button = el(
      "button",
      { type: "button", class: "conversation", "aria-current": current ? "true" : undefined, "data-key": c.key },
      el("span", { class: "label" }, label),
      c.unread > 0 ? el("span", { class: "unread", "aria-label": `${c.unread} unread` }, String(c.unread)) : null,
    );
    button.addEventListener("click", () => open(c.key));
    return el("li", {}, button);
  };
  rooms.replaceChildren(...model.list("room").map(item));
  dms.replaceChildren(...model.list("dm").map(item));
}
