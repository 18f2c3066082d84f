/** Polls `done` every `pollMs` until it holds (true) or `deadlineMs` (epoch ms) passes (false). */
export async function waitFor(done: () => boolean, deadlineMs: number, pollMs: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadlineMs) return false;
    await Bun.sleep(Math.min(pollMs, Math.max(1, deadlineMs - Date.now())));
  }
  return true;
}
