// The connection state pill: "connected", "connecting…", "reconnecting in 3s", "offline". It
// never wraps (phone.css shortens it further); the full words are its accessible text.
import type { ConnectionState } from "hubbub/client";

/** How often the reconnect countdown is redrawn, ms. */
const TICK_MS = 250;

export class StatusView {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly node: HTMLElement) {}

  show(s: ConnectionState): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.node.dataset.state = s.state;
    if (s.state === "reconnecting") {
      const draw = () => {
        const secs = Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000));
        this.node.textContent = secs > 0 ? `reconnecting in ${secs}s` : "reconnecting…";
      };
      draw();
      this.timer = setInterval(draw, TICK_MS);
      return;
    }
    this.node.textContent = s.state === "connecting" ? "connecting…" : s.state;
  }

  /** A state of the page's own, before any connection (waiting for a name, or refused). */
  note(state: string, text: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.node.dataset.state = state;
    this.node.textContent = text;
  }
}
