// The page's typing line (public/views/typing.ts): one, two, or several people.
import { describe, expect, it } from "bun:test";
import { typingText } from "../public/views/typing.ts";

const m = (name: string) => ({ id: name, name });

describe("the typing line", () => {
  it("names one or two typists and counts more as several", () => {
    expect(typingText([])).toBe("");
    expect(typingText([m("alice")])).toBe("alice is typing…");
    expect(typingText([m("alice"), m("bob")])).toBe("alice and bob are typing…");
    expect(typingText([m("alice"), m("bob"), m("carol")])).toBe("Several people are typing…");
  });
});
