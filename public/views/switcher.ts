// Ctrl+K (Cmd+K on a Mac): a quick switcher over the open conversations. Type to filter,
// Up/Down to choose, Enter to open, Escape to close (the dialog's own behaviour).
import { byId, el } from "../dom.ts";
import type { Conversations } from "../conversations.ts";

export function installSwitcher(model: Conversations, open: (key: string) => void): void {
  const dialog = byId<HTMLDialogElement>("switcher");
  const input = byId<HTMLInputElement>("switcher-input");
  const list = byId<HTMLUListElement>("switcher-list");
  let chosen = 0;
  let keys: string[] = [];

  const draw = () => {
    const q = input.value.trim().toLowerCase().replace(/^[#@]/, "");
    const all = model.list().filter((c) => c.name.toLowerCase().includes(q));
    keys = all.map((c) => c.key);
    chosen = Math.min(chosen, Math.max(0, keys.length - 1));
    list.replaceChildren(
      ...all.map((c, i) => {
        const li = el("li", { role: "option", id: `switch-${i}`, "aria-selected": i === chosen ? "true" : "false", "data-key": c.key }, c.type === "room" ? `#${c.name}` : `@${c.name}`);
        li.addEventListener("click", () => go(c.key));
        return li;
      }),
    );
    input.setAttribute("aria-activedescendant", keys.length ? `switch-${chosen}` : "");
  };
  const go = (key: string | undefined) => {
    dialog.close();
    if (key) open(key);
  };

  input.addEventListener("input", () => {
    chosen = 0;
    draw();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      chosen = (chosen + (e.key === "ArrowDown" ? 1 : -1) + keys.length) % Math.max(1, keys.length);
      draw();
    } else if (e.key === "Enter") {
      e.preventDefault();
      go(keys[chosen]);
    }
  });
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
      e.preventDefault();
      if (dialog.open) return dialog.close();
      if (document.querySelector("dialog[open]")) return;
      input.value = "";
      chosen = 0;
      draw();
      dialog.showModal();
      input.focus();
    }
  });
}
