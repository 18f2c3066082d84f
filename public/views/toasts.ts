// Short notes about failures, at the top of the conversation (never over the composer or the
// Send button). The same text again refreshes its note and counts it ("×3") instead of stacking
// another; at most MAX_TOASTS show, the oldest giving way. The container is one polite live
// region, so each note is announced once.

/** How long a note stays, ms. */
const TOAST_MS = 6000;
const MAX_TOASTS = 3;

export class Toasts {
  private readonly shown = new Map<string, { note: HTMLElement; count: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly container: HTMLElement) {}

  show(text: string): void {
    const had = this.shown.get(text);
    if (had) {
      clearTimeout(had.timer);
      had.count++;
      had.note.querySelector(".toast-count")!.textContent = ` ×${had.count}`;
      had.timer = setTimeout(() => this.dismiss(text), TOAST_MS);
      return;
    }
    const note = document.createElement("div");
    note.className = "toast";
    const body = document.createElement("span");
    body.textContent = text;
    const count = document.createElement("span");
    count.className = "toast-count";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => this.dismiss(text));
    note.append(body, count, close);
    this.container.append(note);
    this.shown.set(text, { note, count: 1, timer: setTimeout(() => this.dismiss(text), TOAST_MS) });
    while (this.shown.size > MAX_TOASTS) this.dismiss(this.shown.keys().next().value!);
  }

  dismiss(text: string): void {
    const t = this.shown.get(text);
    if (!t) return;
    clearTimeout(t.timer);
    t.note.remove();
    this.shown.delete(text);
  }
}
