// DOM building for the page. User-supplied text only ever becomes a Text node (through
// `textContent` or string children here), never HTML: a name or message such as
// `<img src=x onerror=alert(1)>` is shown literally. Nothing in public/ uses innerHTML.

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (strings, set with setAttribute) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

/** The element with this id, typed; throws if the page lacks it (a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

/** "14:05" in the viewer's locale, from a ms timestamp. */
export function clock(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A modal dialog that answers one question at a time: ask() shows it, answer() closes it and settles the question. */
export interface Modal<T> {
  /** Shows the dialog; an earlier question still open is answered null. */
  ask(): Promise<T | null>;
  answer(value: T | null): void;
  /** A question is open. */
  readonly waiting: boolean;
}

export function modal<T>(dialog: HTMLDialogElement): Modal<T> {
  let settle: ((value: T | null) => void) | null = null;
  return {
    ask() {
      settle?.(null);
      if (!dialog.open) dialog.showModal();
      return new Promise((resolve) => (settle = resolve));
    },
    answer(value) {
      const s = settle;
      settle = null;
      if (dialog.open) dialog.close();
      s?.(value);
    },
    get waiting() {
      return settle !== null;
    },
  };
}
