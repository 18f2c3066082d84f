// The page's bundle stays small: the browser gets the SDK and src/shared/ only, never zod, the
// confusables table or server code (the code review measured 181 KB when it got all three).
import { describe, expect, it } from "bun:test";
import { join } from "node:path";

/** The page's JavaScript, minified, must stay under this many bytes. */
const MAX_BUNDLE_BYTES = 60 * 1024;

describe("the web page's bundle", () => {
  it("is under 60 KB minified and holds no zod", async () => {
    const built = await Bun.build({ entrypoints: [join(import.meta.dir, "../public/app.ts")], target: "browser", minify: true });
    expect(built.success).toBe(true);
    const js = (await Promise.all(built.outputs.filter((o) => o.kind === "entry-point" || o.kind === "chunk").map((o) => o.text()))).join("");
    expect(js.length).toBeGreaterThan(0);
    expect(js.length).toBeLessThan(MAX_BUNDLE_BYTES);
    expect(js).not.toMatch(/zod|ZodError|safeParse/);
    // Server code that once came in with the commands (the /help footer, hub calls).
    expect(js).not.toContain("Start a message with // to send a literal /.");
  });
});
