// The message box: Enter sends, Shift+Enter starts a new line, Up and Down walk through what was
// sent (when the caret is on the first or last line). It grows with its text up to a few lines.
// Near the length limit a counter shows what is left; over it, sending is refused and the draft
// stays. Every keystroke that changes the text tells `typing`. The draft is cleared only once
// the line was taken (a failure of a command puts it back unless something new was typed).

/** The counter shows once fewer than this many characters are left. */
const COUNTER_FROM = 200;
/** The box grows to at most this many px, then scrolls. */
const MAX_HEIGHT_PX = 160;

export interface ComposerHost {
  /** The limit from the server's `welcome` (code points). */
  maxLength(): number;
  /** Runs a line; rejects when it failed (the draft comes back). */
  submit(line: string): Promise<void>;
  /** The text changed by typing. */
  typing(): void;
}

export class Composer {
  private readonly sent: string[] = [];
  private pos = 0;

  constructor(
    private readonly form: HTMLFormElement,
    private readonly input: HTMLTextAreaElement,
    private readonly counter: HTMLElement,
    private readonly host: ComposerHost,
  ) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    input.addEventListener("keydown", (e) => this.key(e));
    input.addEventListener("input", () => {
      this.changed();
      if (input.value.trim()) host.typing();
    });
  }

  focus(): void {
    this.input.focus();
  }

  /** Turns the box on or off (off while there is no conversation). */
  set enabled(on: boolean) {
    this.input.disabled = !on;
    for (const b of this.form.querySelectorAll("button")) b.disabled = !on;
  }

  set placeholder(text: string) {
    this.input.placeholder = text;
  }

  /** Redraws the counter (the limit may have arrived since). */
  changed(): void {
    const max = this.host.maxLength();
    const length = [...this.input.value].length;
    const left = max - length;
    this.counter.textContent = left < 0 ? `${-left} over the limit` : left < COUNTER_FROM ? `${left} left` : "";
    this.counter.classList.toggle("over", left < 0);
    this.input.setAttribute("aria-invalid", left < 0 ? "true" : "false");
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(MAX_HEIGHT_PX, this.input.scrollHeight)}px`;
  }

  private send(): void {
    const line = this.input.value;
    if (!line.trim()) return;
    if ([...line].length > this.host.maxLength()) {
      this.changed();
      this.counter.textContent = `Too long to send: ${[...line].length - this.host.maxLength()} over the limit of ${this.host.maxLength()}`;
      this.input.focus();
      return;
    }
    if (this.sent.at(-1) !== line) this.sent.push(line);
    this.pos = this.sent.length;
    this.input.value = "";
    this.changed();
    this.host.submit(line).catch(() => {
      if (this.input.value === "") {
        this.input.value = line;
        this.changed();
      }
    });
  }

  private key(e: KeyboardEvent): void {
    const input = this.input;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
      return;
    }
    const caretAtStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const onFirstLine = !input.value.slice(0, input.selectionStart).includes("\n");
    const onLastLine = !input.value.slice(input.selectionEnd).includes("\n");
    if (e.key === "ArrowUp" && this.pos > 0 && (input.value === "" || input.value === this.sent[this.pos] || caretAtStart) && onFirstLine) {
      e.preventDefault();
      this.show(--this.pos);
    } else if (e.key === "ArrowDown" && this.pos < this.sent.length && (input.value === this.sent[this.pos]) && onLastLine) {
      e.preventDefault();
      this.show(++this.pos);
    }
  }

  private show(i: number): void {
    this.input.value = this.sent[i] ?? "";
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
    this.changed();
  }
}
