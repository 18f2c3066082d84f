// The connection state pill: "connected", "connecting…", "reconnecting in 3s", "offline". It
// never wraps (phone.css shortens it further); the full words are its accessible text.
import type { ConnectionState } from "hubbub/client";

/** How often the reconnect countdown is redrawn, ms. */
const TICK_MS = 250;

export interface StatusView {
  show(s: ConnectionState): void;
  /** A state of the page's own, before any connection (waiting for a name, or refused). */
  note(state: string, text: string): void;
}

export function createStatusView(node: HTMLElement): StatusView {
  let timer: ReturnType<typeof setInterval> | undefined;
  const note = (state: string, text: string) => {
    clearInterval(timer);
    node.dataset.state = state;
    node.textContent = text;
  };
  return {
    show(s) {
      note(s.state, s.state === "connecting" ? "connecting…" : s.state);
      if (s.state !== "reconnecting") return;
      const draw = () => {
        const secs = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        node.textContent = secs > 0 ? `reconnecting in ${secs}s` : "reconnecting…";
      };
      draw();
      timer = setInterval(draw, TICK_MS);
    },
    note,
  };
}
