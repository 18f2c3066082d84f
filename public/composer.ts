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

export interface Composer {
  focus(): void;
  /** Turns the box on or off (off while there is no conversation). */
  enabled: boolean;
  placeholder: string;
}

/** One message box per page: its state lives in this closure. */
export function createComposer(form: HTMLFormElement, input: HTMLTextAreaElement, counter: HTMLElement, host: ComposerHost): Composer {
  const sent: string[] = [];
  let pos = 0;
  const length = (s: string) => [...s].length;

  /** Redraws the counter (the limit may have arrived since). */
  const changed = () => {
    const left = host.maxLength() - length(input.value);
    counter.textContent = left < 0 ? `${-left} over the limit` : left < COUNTER_FROM ? `${left} left` : "";
    counter.classList.toggle("over", left < 0);
    input.setAttribute("aria-invalid", String(left < 0));
    input.style.height = "auto";
    input.style.height = `${Math.min(MAX_HEIGHT_PX, input.scrollHeight)}px`;
  };

  const show = (i: number) => {
    input.value = sent[i] ?? "";
    input.setSelectionRange(input.value.length, input.value.length);
    changed();
  };

  const send = () => {
    const line = input.value;
    if (!line.trim()) return;
    const max = host.maxLength();
    if (length(line) > max) {
      changed();
      counter.textContent = `Too long to send: ${length(line) - max} over the limit of ${max}`;
      input.focus();
      return;
    }
    if (sent.at(-1) !== line) sent.push(line);
    pos = sent.length;
    input.value = "";
    changed();
    host.submit(line).catch(() => {
      if (input.value === "") {
        input.value = line;
        changed();
      }
    });
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      return send();
    }
    const caretAtStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const onFirstLine = !input.value.slice(0, input.selectionStart).includes("\n");
    const onLastLine = !input.value.slice(input.selectionEnd).includes("\n");
    if (e.key === "ArrowUp" && pos > 0 && (input.value === "" || input.value === sent[pos] || caretAtStart) && onFirstLine) {
      e.preventDefault();
      show(--pos);
    } else if (e.key === "ArrowDown" && pos < sent.length && input.value === sent[pos] && onLastLine) {
      e.preventDefault();
      show(++pos);
    }
  });
  input.addEventListener("input", () => {
    changed();
    if (input.value.trim()) host.typing();
  });

  return {
    focus: () => input.focus(),
    set enabled(on: boolean) {
      input.disabled = !on;
      for (const b of form.querySelectorAll("button")) b.disabled = !on;
    },
    set placeholder(text: string) {
      input.placeholder = text;
    },
  };
}
