// The input line: Enter sends, Up and Down walk back and forth through what was sent.

export class Composer {
  private readonly sent: string[] = [];
  private pos = 0;

  constructor(
    form: HTMLFormElement,
    private readonly input: HTMLInputElement,
    submit: (line: string) => void,
  ) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const line = input.value;
      if (!line.trim()) return;
      if (this.sent.at(-1) !== line) this.sent.push(line);
      this.pos = this.sent.length;
      input.value = "";
      submit(line);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowUp" && this.pos > 0 && (input.value === "" || input.value === this.sent[this.pos])) {
        e.preventDefault();
        this.show(--this.pos);
      } else if (e.key === "ArrowDown" && this.pos < this.sent.length) {
        e.preventDefault();
        this.show(++this.pos);
      }
    });
  }

  focus(): void {
    this.input.focus();
  }

  private show(i: number): void {
    this.input.value = this.sent[i] ?? "";
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }
}
