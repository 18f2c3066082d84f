// The Engine's own lifecycle: ready from start until close, and close idempotent.
import { describe, expect, it } from "bun:test";
import { type EngineFactory, start } from "./fixtures.ts";

export function lifecycleContract(name: string, create: EngineFactory): void {
  describe(`Engine lifecycle: ${name}`, () => {
    it("is ready from start until close, and close is idempotent", async () => {
      const n = await start(create);
      expect(n.engine.ready).toBe(true);
      await Promise.all([n.engine.close(), n.engine.close()]);
      expect(n.engine.ready).toBe(false);
      await n.engine.close();
    });
  });
}
