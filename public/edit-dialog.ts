// The dialog that edits one of the user's messages: the text as it stands, Save (or Enter) and
// Cancel (or Escape), like the name dialog. It answers the new text, or null when cancelled or
// unchanged; an empty or too long text is refused in the dialog, before the server is asked.
import { byId } from "./dom.ts";

export class EditDialog {
  private readonly dialog = byId<HTMLDialogElement>("edit-dialog");
  private readonly input = byId<HTMLTextAreaElement>("edit-input");
  private readonly error = byId("edit-error");
  private answer: ((text: string | null) => void) | null = null;
  private was = "";
  private max = Infinity;

  constructor() {
    byId<HTMLFormElement>("edit-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = this.input.value;
      if (!text.trim()) return this.refuse("A message needs some text. To remove it, delete it instead.");
      if (text.length > this.max) return this.refuse(`That is ${text.length - this.max} characters too long.`);
      this.finish(text === this.was ? null : text);
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.dialog.querySelector("form")!.requestSubmit();
      }
    });
    byId("edit-cancel").addEventListener("click", () => this.finish(null));
    this.dialog.addEventListener("close", () => this.finish(null));
  }

  ask(text: string, maxLength: number): Promise<string | null> {
    this.answer?.(null);
    this.was = text;
    this.max = maxLength;
    this.input.value = text;
    this.error.textContent = "";
    if (!this.dialog.open) this.dialog.showModal();
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
    return new Promise((resolve) => (this.answer = resolve));
  }

  private refuse(why: string): void {
    this.error.textContent = why;
    this.input.focus();
  }

  private finish(text: string | null): void {
    const answer = this.answer;
    this.answer = null;
    if (this.dialog.open) this.dialog.close();
    answer?.(text);
  }
}
