// A person's avatar: their initial on a colour picked from their user id, so one person has one
// colour everywhere (and across renames). Every colour holds white text at WCAG AA (4.5:1 or more).
import { el } from "../dom.ts";

const COLOURS = ["#2952cc", "#b3261e", "#1b6e3a", "#8a4baf", "#a14a00", "#00677f", "#9c2f6e", "#4d5b00"];

export function colourFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return COLOURS[h % COLOURS.length]!;
}

export function initial(name: string): string {
  const first = [...name.replace(/^[^\p{L}\p{N}]+/u, "")][0] ?? [...name][0] ?? "?";
  return first.toLocaleUpperCase();
}

/**
 * Decorative (the name is always written next to it), so hidden from screen readers; the
 * initial is drawn by CSS from data-initial, so it is no part of the line's text either.
 */
export function avatar(member: { id: string; name: string }): HTMLSpanElement {
  return el("span", { class: "avatar", "aria-hidden": "true", "data-initial": initial(member.name), style: `background:${colourFor(member.id)}` });
}
