// Small test helpers that need nothing of the server, so the engine suites run on their own
// (test/helpers.ts starts servers and imports all of src/).
import type { Logger } from "../src/log.ts";

/** Resolves when `pred` holds, polling every 10 ms; rejects after `timeoutMs`. For state changed elsewhere. */
export async function eventually(pred: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Polls an async condition (state held in Redis, say) every 20 ms until it holds. */
export async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** A logger that keeps its lines, for tests that check what was logged. */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, ...fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
