// The parts of a room message that come from the durable store: its text as it stands (a
// tombstone once deleted, "(edited)" once edited), its reaction chips (a count each, pressed when
// the reader is among them; a click toggles), and the actions it offers on hover, focus or a tap:
// quick reactions for everyone, Edit on the reader's own, Delete on the reader's own and, for
// the room's moderators and owners, on anyone's (the server allows it). Buttons carry data-action
// (and data-emoji); the list handles their clicks once, by delegation.
import type { MessageFrame } from "hubbub/client";
import { el } from "../dom.ts";

export type LineAction = "react" | "edit" | "delete";

/** The reactions the actions bar offers with one click. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂"] as const;

/** Whether the message is a tombstone (deleted: no text, no actions, no reactions). */
export const isDeleted = (m: MessageFrame) => m.deleted === true;

/** The tombstone's text, for a deleted message. */
export function tombstone(): HTMLElement {
  return el("div", { class: "text deleted" }, "message deleted");
}

/** The "(edited)" mark after an edited message's text, or nothing. */
export function editedMark(m: MessageFrame): HTMLElement | null {
  return m.edited ? el("span", { class: "edited", title: `Edited ${new Date(m.edited).toLocaleString()}` }, " (edited)") : null;
}

/** The reaction chips under a message, or nothing when it has none. */
export function reactionChips(m: MessageFrame, me: string | null): HTMLElement | null {
  const entries = Object.entries(m.reactions ?? {}).filter(([, ids]) => ids.length > 0);
  if (isDeleted(m) || entries.length === 0) return null;
  return el(
    "div",
    { class: "reactions" },
    ...entries.map(([emoji, ids]) => {
      const mine = me !== null && ids.includes(me);
      const label = `${emoji} ${ids.length} ${ids.length === 1 ? "reaction" : "reactions"}${mine ? ", including yours" : ""}`;
      return el("button", { type: "button", class: "reaction", "data-action": "react", "data-emoji": emoji, "aria-pressed": String(mine), "aria-label": label }, `${emoji} ${ids.length}`);
    }),
  );
}

/** The actions bar of a message line (none on a tombstone); `del`: the reader may delete it. */
export function actionsBar(m: MessageFrame, own: boolean, del: boolean): HTMLElement | null {
  if (isDeleted(m)) return null;
  const act = (action: LineAction, label: string, text: string, emoji?: string) => el("button", { type: "button", class: "act", "data-action": action, "data-emoji": emoji, "aria-label": label, title: label }, text);
  return el(
    "div",
    { class: "msg-actions", role: "toolbar", "aria-label": "Message actions" },
    ...QUICK_REACTIONS.map((e) => act("react", `React with ${e}`, e, e)),
    own ? act("edit", "Edit message", "Edit") : null,
    del ? act("delete", "Delete message", "Delete") : null,
  );
}
