// docs/protocol.md must describe every frame, error code and close code the source defines.
import { describe, expect, it } from "bun:test";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { ClientFrame, ServerFrame } from "../src/shared/protocol.ts";

const doc = await Bun.file(`${import.meta.dir}/../docs/protocol.md`).text();

describe("docs/protocol.md", () => {
  it("names every server frame type", () => {
    for (const o of ServerFrame.options) expect(doc).toContain(`### \`${o.shape.type.value}\``);
  });
  it("names every client frame type", () => {
    for (const o of ClientFrame.options) expect(doc).toContain(`| \`${o.shape.type.value}\` |`);
  });
  it("lists every error code and close code", () => {
    for (const code of Object.values(ErrorCode)) expect(doc).toContain(`| \`${code}\` |`);
    for (const code of Object.values(CloseCode)) expect(doc).toContain(`| ${code} |`);
  });
});
