import { describe, expect, it } from "bun:test";
import { CidCache } from "../src/cid-cache.ts";

describe("CidCache", () => {
  it("keeps SendKeys apart whatever characters the user id holds", () => {
    const cache = new CidCache<string>();
    cache.set({ userId: "a\nb", cid: "c" }, "first");
    expect(cache.get({ userId: "a", cid: "b\nc" })).toBeUndefined();
    cache.set({ userId: "a", cid: "b\nc" }, "second");
    expect(cache.get({ userId: "a\nb", cid: "c" })).toBe("first");
    expect(cache.get({ userId: "a", cid: "b\nc" })).toBe("second");
  });

  it("remembers a cid sent again after its window, for a new window", () => {
    const cache = new CidCache<string>(10, 1000);
    const key = { userId: "u", cid: "1" };
    cache.set(key, "old", 0);
    expect(cache.get(key, 1001)).toBeUndefined();
    cache.set(key, "new", 1001);
    expect(cache.get(key, 1500)).toBe("new");
    expect(cache.get(key, 2001)).toBe("new");
  });

  it("lets the first send win within the window, and stays within maxEntries", () => {
    const cache = new CidCache<number>(3, 1000);
    cache.set({ userId: "u", cid: "x" }, 1, 0);
    cache.set({ userId: "u", cid: "x" }, 2, 10);
    expect(cache.get({ userId: "u", cid: "x" }, 20)).toBe(1);
    for (let i = 0; i < 5; i++) cache.set({ userId: "u", cid: `c${i}` }, i, 30);
    expect(cache.size).toBe(3);
    expect(cache.get({ userId: "u", cid: "x" }, 40)).toBeUndefined();
    expect(cache.get({ userId: "u", cid: "c4" }, 40)).toBe(4);
  });
});
