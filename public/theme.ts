// Light or dark: the system's choice (prefers-color-scheme) until the user picks one with the
// toggle; the pick is remembered. style.css holds both palettes.
import { byId } from "./dom.ts";
import { load, save } from "./saved.ts";

const KEY = "hubbub.theme";

export function installTheme(): void {
  const button = byId<HTMLButtonElement>("theme");
  const system = matchMedia("(prefers-color-scheme: dark)");
  const apply = () => {
    const chosen = load(KEY);
    const dark = chosen === null ? system.matches : chosen === "dark";
    document.documentElement.dataset.theme = dark ? "dark" : "light";
    button.setAttribute("aria-pressed", String(dark));
  };
  button.addEventListener("click", () => {
    save(KEY, document.documentElement.dataset.theme === "dark" ? "light" : "dark");
    apply();
  });
  system.addEventListener("change", apply);
  apply();
}
