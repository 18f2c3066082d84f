// On a phone the rooms list and the people list are drawers over the conversation, opened from
// the top bar and closed by the scrim, Escape, or picking something in them. On a wide screen
// they are plain columns and this does nothing visible.
import { byId } from "../dom.ts";

export class Drawers {
  private readonly scrim = byId("scrim");
  private readonly toggles = [byId<HTMLButtonElement>("open-rooms"), byId<HTMLButtonElement>("open-people")];
  private opened: HTMLElement | null = null;

  constructor() {
    for (const t of this.toggles) t.addEventListener("click", () => this.toggle(byId(t.getAttribute("aria-controls")!)));
    this.scrim.addEventListener("click", () => this.close());
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.opened && !document.querySelector("dialog[open]")) this.close();
    });
  }

  toggle(drawer: HTMLElement): void {
    if (this.opened === drawer) return this.close();
    this.close();
    this.opened = drawer;
    drawer.classList.add("open");
    this.scrim.hidden = false;
    this.sync();
    drawer.querySelector<HTMLElement>("button, input")?.focus();
  }

  close(): void {
    if (!this.opened) return;
    const was = this.opened;
    this.opened.classList.remove("open");
    this.opened = null;
    this.scrim.hidden = true;
    this.sync();
    this.toggles.find((t) => t.getAttribute("aria-controls") === was.id)?.focus({ preventScroll: true });
  }

  private sync(): void {
    for (const t of this.toggles) t.setAttribute("aria-expanded", String(this.opened?.id === t.getAttribute("aria-controls")));
  }
}
