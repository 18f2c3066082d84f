// The live user list of the room on screen. Each other person is a button that opens a
// direct conversation with them.
import type { Member } from "hubbub/client";
import { el } from "../dom.ts";
import { avatar } from "./avatar.ts";

export function renderPeople(list: HTMLUListElement, users: Member[], myId: string | null, message: (name: string) => void): void {
  const sorted = [...users].sort((a, b) => a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((u) => {
      if (u.id === myId) return el("li", { class: "user own" }, avatar(u), el("span", {}, u.name), el("span", { class: "tag" }, " (you)"));
      const b = el("button", { type: "button", class: "user-button", title: `Message ${u.name}` }, avatar(u), el("span", {}, u.name));
      b.addEventListener("click", () => message(u.name));
      return el("li", { class: "user" }, b);
    }),
  );
}
