// Error toasts: one short-lived note per error, announced to screen readers.

/** How long a toast stays, ms. */
const TOAST_MS = 6000;

export function toast(container: HTMLElement, text: string): void {
  const note = document.createElement("div");
  note.className = "toast";
  note.setAttribute("role", "alert");
  note.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  close.addEventListener("click", () => note.remove());
  note.append(close);
  container.append(note);
  setTimeout(() => note.remove(), TOAST_MS);
}
