// Who this browser is: the name (validated with the server's own rule before connecting, asked
// for in a modal dialog) and the server's resume token, both in localStorage, so a reload or a
// second tab connects as the same user (one entry in every user list).
import { normalizeName } from "hubbub/client";
import { byId } from "./dom.ts";

const STORAGE_KEY = "hubbub.name";
const RESUME_KEY = "hubbub.resume";

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

/** The resume token the server gave this browser's user, if one was kept. */
export function storedResume(): string | null {
  try {
    return localStorage.getItem(RESUME_KEY);
  } catch {
    return null;
  }
}

export function storeResume(token: string): void {
  try {
    localStorage.setItem(RESUME_KEY, token);
  } catch {
    // Storage may be disabled; a reload then is a new guest with the same name.
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
