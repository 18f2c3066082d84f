// parseClientFrame checks well-formed `chat` frames by hand (the hot path) and sends every
// other frame through the zod schema. The two must never disagree: every frame here gets the
// same verdict, and the same stripped frame, as the schema alone would give.
import { describe, expect, it } from "bun:test";
import { ChatFrame, parseClientFrame } from "../src/shared/protocol.ts";

const long = (n: number) => "x".repeat(n);

const frames: unknown[] = [
  { type: "chat", text: "hi" },
  { type: "chat", text: "" },
  { type: "chat", text: "  " },
  { type: "chat", text: "héllo 👋 \u0000 \"quoted\"" },
  { type: "chat", text: "hi", room: "a", ref: "r" },
  { type: "chat", text: "hi", room: long(256) },
  { type: "chat", text: "hi", room: long(257) },
  { type: "chat", text: "hi", room: "" },
  { type: "chat", text: "hi", room: null },
  { type: "chat", text: "hi", room: 5 },
  { type: "chat", text: "hi", ref: long(64) },
  { type: "chat", text: "hi", ref: long(65) },
  { type: "chat", text: "hi", ref: 0 },
  { type: "chat", text: "hi", ref: -0 },
  { type: "chat", text: "hi", ref: -42 },
  { type: "chat", text: "hi", ref: 1.5 },
  { type: "chat", text: "hi", ref: 2 ** 53 - 1 },
  { type: "chat", text: "hi", ref: 2 ** 53 },
  { type: "chat", text: "hi", ref: null },
  { type: "chat", text: "hi", ref: true },
  { type: "chat", text: "hi", ref: ["r"] },
  { type: "chat", text: "hi", junk: 1, nested: { a: 1 } },
  { type: "chat", text: 5 },
  { type: "chat", text: null },
  { type: "chat", text: ["hi"] },
  { type: "chat" },
];

describe("parseClientFrame's chat fast path", () => {
  for (const frame of frames) {
    const raw = JSON.stringify(frame);
    it(`gives the schema's verdict for ${raw.slice(0, 80)}`, () => {
      const schema = ChatFrame.safeParse(JSON.parse(raw));
      const got = parseClientFrame(raw);
      expect(got.ok).toBe(schema.success);
      if (got.ok && schema.success) {
        expect(got.frame).toEqual(schema.data);
        expect(Object.keys(got.frame).sort()).toEqual(Object.keys(schema.data).sort());
      }
    });
  }

  it("strips a __proto__ key the way the schema does", () => {
    const raw = '{"type":"chat","text":"hi","__proto__":{"room":"evil"}}';
    const got = parseClientFrame(raw);
    expect(got).toEqual({ ok: true, frame: ChatFrame.parse(JSON.parse(raw)) });
    expect(got.ok && got.frame.type === "chat" && got.frame.room).toBeFalsy();
  });
});
