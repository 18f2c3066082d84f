// The README must stay true to the code: every setting is in its configuration tables.
import { describe, expect, it } from "bun:test";
import { SETTING_DOCS } from "../src/config.ts";

const readme = await Bun.file(`${import.meta.dir}/../README.md`).text();

describe("README", () => {
  it("documents every setting with its env name and flag", () => {
    for (const s of SETTING_DOCS) expect(readme).toContain(`| \`${s.env}\` | \`${s.flag}\` |`);
  });
  it("names both commands", () => {
    expect(readme).toContain("bun run src/index.ts");
    expect(readme).toContain("bun test");
  });
});
