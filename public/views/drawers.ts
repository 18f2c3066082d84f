// On a phone the rooms list and the people list are drawers over the conversation, opened from
// the top bar and closed by the scrim, Escape, or picking something in them. On a wide screen
// they are plain columns and this does nothing visible.
import { byId } from "../dom.ts";

export interface Drawers {
  close(): void;
}

export function createDrawers(): Drawers {
  const scrim = byId("scrim");
  const toggles = [byId<HTMLButtonElement>("open-rooms"), byId<HTMLButtonElement>("open-people")];
  let opened: HTMLElement | null = null;
  const controls = (t: HTMLElement) => t.getAttribute("aria-controls")!;
  const sync = () => {
    for (const t of toggles) t.setAttribute("aria-expanded", String(opened?.id === controls(t)));
  };
  const close = () => {
    if (!opened) return;
    const was = opened;
    opened.classList.remove("open");
    opened = null;
    scrim.hidden = true;
    sync();
    toggles.find((t) => controls(t) === was.id)?.focus({ preventScroll: true });
  };
  const toggle = (drawer: HTMLElement) => {
    if (opened === drawer) return close();
    close();
    opened = drawer;
    drawer.classList.add("open");
    scrim.hidden = false;
    sync();
    drawer.querySelector<HTMLElement>("button, input")?.focus();
  };

  for (const t of toggles) t.addEventListener("click", () => toggle(byId(controls(t))));
  scrim.addEventListener("click", close);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && opened && !document.querySelector("dialog[open]")) close();
  });
  return { close };
}
