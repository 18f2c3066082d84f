// Picking a name: remembered in localStorage, validated with the server's own rule before
// connecting, asked for in a modal dialog.
import { normalizeName } from "hubbub/client";
import { byId } from "./dom.ts";

const STORAGE_KEY = "hubbub.name";

export function storedName(): string | null {
  try {
    const name = localStorage.getItem(STORAGE_KEY);
    return name === null ? null : normalizeName(name);
  } catch {
    return null;
  }
}

export function storeName(name: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, name);
  } catch {
    // Storage may be disabled; the name just is not remembered.
  }
}

/** Shows the name dialog (with `problem` when the last name failed) until a valid name is given. */
export function askName(problem = "", current = ""): Promise<string> {
  const dialog = byId<HTMLDialogElement>("name-dialog");
  const form = byId<HTMLFormElement>("name-form");
  const input = byId<HTMLInputElement>("name-input");
  const error = byId("name-error");
  error.textContent = problem;
  input.value = current;
  dialog.showModal();
  input.focus();
  return new Promise((resolve) => {
    const onSubmit = (e: SubmitEvent) => {
      e.preventDefault();
      const name = normalizeName(input.value);
      if (name === null) {
        error.textContent = "Use 1–32 letters, digits, _ - or . (no spaces).";
        input.focus();
        return;
      }
      form.removeEventListener("submit", onSubmit);
      dialog.close();
      resolve(name);
    };
    form.addEventListener("submit", onSubmit);
  });
}
