// Who this browser is: the name (validated with the server's own rule before connecting, asked
// for in a modal dialog) and the server's resume token, both in localStorage, so a reload or a
// second tab connects as the same user (one entry in every user list).
//
// One dialog serves three moments: the first visit ("Pick a name"; it cannot be dismissed, but
// offers to join as a guest), a rename ("Change your name", with Cancel; Escape cancels), and a
// refused name (the refused name filled in, and why). It has one submit listener for its whole
// life, so dismissing it any number of times leaves nothing behind.
import { normalizeName } from "hubbub/client";
import { byId, modal } from "./dom.ts";
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

export interface NameDialog {
  ask(mode: NameMode, opts?: { problem?: string; value?: string }): Promise<NameAnswer>;
}

export function createNameDialog(): NameDialog {
  const dialog = byId<HTMLDialogElement>("name-dialog");
  const input = byId<HTMLInputElement>("name-input");
  const error = byId("name-error");
  const other = byId<HTMLButtonElement>("name-other");
  const m = modal<string>(dialog);
  let mode: NameMode = "first";

  byId("name-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = normalizeName(input.value);
    if (name !== null) return m.answer(name);
    error.textContent = "Use 1–32 letters, digits, _ - or . (no spaces).";
    input.focus();
  });
  other.addEventListener("click", () => m.answer(null));
  // Escape: a rename is cancelled; the first dialog stays (there is no page without a name
  // yet), its "Join as a guest" button is the way past it. Chromium lets a page refuse
  // Escape only after a user gesture, so a dialog closed anyway is shown again.
  dialog.addEventListener("cancel", (e) => {
    if (mode !== "rename") e.preventDefault();
  });
  dialog.addEventListener("close", () => {
    if (!m.waiting) return;
    if (mode === "rename") return m.answer(null);
    dialog.showModal();
    input.focus();
  });

  return {
    ask(next, opts = {}) {
      mode = next;
      const w = WORDING[mode];
      byId("name-title").textContent = w.title;
      byId("name-submit").textContent = w.submit;
      other.textContent = w.other;
      error.textContent = opts.problem ?? "";
      input.value = opts.value ?? "";
      const answer = m.ask();
      input.focus();
      input.select();
      return answer;
    },
  };
}
