// Short notes about failures, at the top of the conversation (never over the composer or the
// Send button). The same text again refreshes its note and counts it ("×3") instead of stacking
// another; at most MAX_TOASTS show, the oldest giving way. The container is one polite live
// region, so each note is announced once.
import { el } from "../dom.ts";

/** How long a note stays, ms. */
const TOAST_MS = 6000;
const MAX_TOASTS = 3;

export interface Toasts {
  show(text: string): void;
}

export function createToasts(container: HTMLElement): Toasts {
  const shown = new Map<string, { note: HTMLElement; count: number; timer: ReturnType<typeof setTimeout> }>();
  const dismiss = (text: string) => {
    const t = shown.get(text);
    if (!t) return;
    clearTimeout(t.timer);
    t.note.remove();
    shown.delete(text);
  };
  const later = (text: string) => setTimeout(() => dismiss(text), TOAST_MS);
  return {
    show(text) {
      const had = shown.get(text);
      if (had) {
        clearTimeout(had.timer);
        had.note.querySelector(".toast-count")!.textContent = ` ×${++had.count}`;
        had.timer = later(text);
        return;
      }
      const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, "×");
      close.addEventListener("click", () => dismiss(text));
      const note = el("div", { class: "toast" }, el("span", {}, text), el("span", { class: "toast-count" }), close);
      container.append(note);
      shown.set(text, { note, count: 1, timer: later(text) });
      while (shown.size > MAX_TOASTS) dismiss(shown.keys().next().value!);
    },
  };
}
