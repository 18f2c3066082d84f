// The member list of the room on screen. Each other person is a button that opens a direct
// conversation with them; an owner's or moderator's entry carries `data-role` (the stylesheet
// marks it, with words for screen readers). To whom the user outranks, an owner or moderator
// sees a "⋯" button that opens the one person menu of the page (#menu in index.html): kick, ban,
// mute (each of those two also for an hour), and for owners, moderator on or off; the stylesheet
// shows only the entries that apply. The menu follows its button, so Tab reaches it; Escape
// closes it and gives the focus back to the button.
import { ROLE_RANK, type Member, type RoomSettings } from "hubbub/client";
import { el } from "../dom.ts";
import { avatar } from "./avatar.ts";

/** A menu entry's `data-act`, the person it is for, and its `data-seconds` (a timed ban or mute). */
export type PersonAction = (act: string, name: string, seconds?: number) => void;

export function renderPeople(list: HTMLUListElement, users: Member[], myId: string | null, s: RoomSettings, message: (name: string) => void): void {
  const mine = ROLE_RANK[s.role];
  const sorted = [...users].sort((a, b) => a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((u) => {
      const role = s.roles[u.id] ?? "member";
      if (u.id === myId) return el("li", { class: "user own", "data-role": role }, avatar(u), el("span", {}, u.name), el("span", { class: "tag" }, " (you)"));
      const b = el("button", { type: "button", class: "user-button", title: `Message ${u.name}` }, avatar(u), el("span", {}, u.name));
      b.addEventListener("click", () => message(u.name));
      const more = mine > 0 && mine > ROLE_RANK[role] && el("button", { type: "button", class: "more", "aria-label": `Actions for ${u.name}`, "aria-expanded": "false", "data-name": u.name, "data-role": role });
      return el("li", { class: "user", "data-role": role }, b, more);
    }),
  );
}

/** The person menu: a "⋯" in `list` opens it under that person (again: closes it); an entry runs `act`. */
export function installMenu(list: HTMLElement, menu: HTMLElement, owner: () => boolean, act: PersonAction): void {
  let on: HTMLElement | null = null;
  const close = () => {
    on?.setAttribute("aria-expanded", "false");
    on = null;
    menu.hidden = true;
  };
  list.addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>(".more");
    if (!b) return;
    const same = b === on;
    close();
    if (same) return;
    on = b;
    b.setAttribute("aria-expanded", "true");
    menu.dataset.role = b.dataset.role;
    menu.dataset.owner = String(owner());
    b.after(menu);
    menu.hidden = false;
  });
  // Escape in the menu or on its button: this Escape is the menu's, not the drawer's around it.
  list.addEventListener("keydown", (e) => {
    const b = on;
    if (e.key !== "Escape" || !b) return;
    e.stopPropagation();
    close();
    b.focus();
  });
  menu.addEventListener("click", (e) => {
    const { act: what, seconds } = (e.target as HTMLElement).dataset;
    const name = on?.dataset.name;
    if (!what || !name) return;
    close();
    act(what, name, Number(seconds) || undefined);
  });
}
