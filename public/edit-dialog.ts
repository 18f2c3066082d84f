// The dialog that edits one of the user's messages: the text as it stands, Save (or Enter) and
// Cancel (or Escape), like the name dialog. It answers the new text, or null when cancelled or
// unchanged; an empty or too long text is refused in the dialog, before the server is asked.
import { byId, modal } from "./dom.ts";

export interface EditDialog {
  /** The new text, or null when cancelled or unchanged. */
  ask(text: string, maxLength: number): Promise<string | null>;
}

export function createEditDialog(): EditDialog {
  const dialog = byId<HTMLDialogElement>("edit-dialog");
  const input = byId<HTMLTextAreaElement>("edit-input");
  const error = byId("edit-error");
  const form = byId<HTMLFormElement>("edit-form");
  const m = modal<string>(dialog);
  let was = "";
  let max = Infinity;
  const refuse = (why: string) => {
    error.textContent = why;
    input.focus();
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    if (!text.trim()) return refuse("A message needs some text. To remove it, delete it instead.");
    if (text.length > max) return refuse(`That is ${text.length - max} characters too long.`);
    m.answer(text === was ? null : text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  byId("edit-cancel").addEventListener("click", () => m.answer(null));
  dialog.addEventListener("close", () => m.answer(null));

  return {
    ask(text, maxLength) {
      was = text;
      max = maxLength;
      input.value = text;
      error.textContent = "";
      const answer = m.ask();
      input.focus();
      input.setSelectionRange(text.length, text.length);
      return answer;
    },
  };
}
