// Who this browser is: the name (validated with the server's own rule before connecting, asked
// for in a modal dialog) and the server's resume token, both in localStorage, so a reload or a
// second tab connects as the same user (one entry in every user list).
//
// One dialog serves three moments: the first visit ("Pick a name"; it cannot be dismissed, but
// offers to join as a guest), a rename ("Change your name", with Cancel; Escape cancels), and a
// refused name (the refused name filled in, and why). It has one submit listener for its whole
// life, so dismissing it any number of times leaves nothing behind.
import { normalizeName } from "hubbub/client";
import { byId } from "./dom.ts";
import { load, save } from "./saved.ts";

const STORAGE_KEY = "hubbub.name";
const RESUME_KEY = "hubbub.resume";

export function storedName(): string | null {
  const name = load(STORAGE_KEY);
  return name === null ? null : normalizeName(name);
}

export const storeName = (name: string) => save(STORAGE_KEY, name);
/** The resume token the server gave this browser's user, if one was kept. */
export const storedResume = () => load(RESUME_KEY);
export const storeResume = (token: string) => save(RESUME_KEY, token);

export type NameMode = "first" | "rename" | "retry";

/** A name; null: the user cancelled (rename) or chose to be a guest (first visit). */
export type NameAnswer = string | null;

const WORDING: Record<NameMode, { title: string; submit: string; other: string }> = {
  first: { title: "Pick a name", submit: "Start chatting", other: "Join as a guest" },
  retry: { title: "Pick another name", submit: "Try this name", other: "Join as a guest" },
  rename: { title: "Change your name", submit: "Save", other: "Cancel" },
};

export class NameDialog {
  private readonly dialog = byId<HTMLDialogElement>("name-dialog");
  private readonly form = byId<HTMLFormElement>("name-form");
  private readonly input = byId<HTMLInputElement>("name-input");
  private readonly error = byId("name-error");
  private readonly other = byId<HTMLButtonElement>("name-other");
  private mode: NameMode = "first";
  private answer: ((name: NameAnswer) => void) | null = null;

  constructor() {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const name = normalizeName(this.input.value);
      if (name === null) {
        this.error.textContent = "Use 1–32 letters, digits, _ - or . (no spaces).";
        this.input.focus();
        return;
      }
      this.finish(name);
    });
    this.other.addEventListener("click", () => this.finish(null));
    // Escape: a rename is cancelled; the first dialog stays (there is no page without a name
    // yet), its "Join as a guest" button is the way past it. Chromium lets a page refuse
    // Escape only after a user gesture, so a dialog closed anyway is shown again.
    this.dialog.addEventListener("cancel", (e) => {
      if (this.mode !== "rename") e.preventDefault();
    });
    this.dialog.addEventListener("close", () => {
      if (!this.answer) return;
      if (this.mode === "rename") return this.finish(null);
      this.dialog.showModal();
      this.input.focus();
    });
  }

  get open(): boolean {
    return this.dialog.open;
  }

  ask(mode: NameMode, opts: { problem?: string; value?: string } = {}): Promise<NameAnswer> {
    this.answer?.(null);
    this.mode = mode;
    const w = WORDING[mode];
    byId("name-title").textContent = w.title;
    byId("name-submit").textContent = w.submit;
    this.other.textContent = w.other;
    this.error.textContent = opts.problem ?? "";
    this.input.value = opts.value ?? "";
    if (!this.dialog.open) this.dialog.showModal();
    this.input.focus();
    this.input.select();
    return new Promise((resolve) => (this.answer = resolve));
  }

  private finish(name: NameAnswer): void {
    const answer = this.answer;
    this.answer = null;
    if (this.dialog.open) this.dialog.close();
    answer?.(name);
  }
}
