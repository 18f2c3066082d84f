import { describe, expect, it } from "bun:test";
import { CloseCode, ErrorCode } from "../src/shared/codes.ts";
import { RESERVED_NAMES, caseFold, isReservedName, nameKey, skeleton } from "../src/name-key.ts";
import { TestClient, startServer } from "./helpers.ts";

describe("nameKey", () => {
  it("folds case, compatibility forms, invisible characters and confusables onto one key", () => {
    const same = ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "\u0430lice" /* Cyrillic а */, "al\u200Bice", "al\u034Fice", "\u202Ealice", "alıce".replace("ı", "i"), "𝐚𝐥𝐢𝐜𝐞"];
    for (const n of same) expect([n, nameKey(n)]).toEqual([n, "alice"]);
    expect(nameKey("Straße")).toBe(nameKey("STRASSE"));
    expect(nameKey("b0b")).toBe(nameKey("bob"));
    expect(nameKey("paypal")).toBe(nameKey("\u0440\u0430ypal")); // Cyrillic р and а
  });

  it("keeps different names apart", () => {
    for (const [a, b] of [["alice", "alicia"], ["bob", "rob"], ["zoé", "zoe"], ["李", "杏"]] as const) expect(nameKey(a)).not.toBe(nameKey(b));
  });

  it("case-folds beyond toLowerCase and computes the UTS #39 skeleton", () => {
    expect(caseFold("ß")).toBe("ss");
    expect(skeleton("\u0441\u043e\u0440\u0435")).toBe("cope"); // all Cyrillic
  });

  it("reserves names on their key", () => {
    for (const n of RESERVED_NAMES) expect(isReservedName(n)).toBe(true);
    for (const n of ["ADMIN", "ａｄｍｉｎ", "\u0430dmin", "Sys\u200Btem", "5ystem".replace("5", "s")]) expect([n, isReservedName(n)]).toEqual([n, true]);
    expect(isReservedName("adminton")).toBe(false);
  });
});

describe("impersonation", () => {
  it("while alice is online, Alice, fullwidth, Cyrillic and invisible-character look-alikes are taken", async () => {
    await using app = await startServer();
    await using alice = await TestClient.join(app, { name: "alice" });
    for (const name of ["Alice", "ａｌｉｃｅ", "\u0430lice", "al\u034Fice", "ALİCE".replace("İ", "I"), "a1ice".replace("1", "l")]) {
      const dup = await TestClient.connect(app, { name });
      expect([name, await dup.next("error")]).toMatchObject([name, { code: ErrorCode.NameTaken }]);
      expect((await dup.closed).code).toBe(CloseCode.NameTaken);
    }
    // Format characters such as U+200B are not allowed in names at all.
    const zw = await TestClient.connect(app, { name: "al\u200Bice" });
    expect(await zw.next("error")).toMatchObject({ code: ErrorCode.InvalidName });
    expect((await zw.closed).code).toBe(CloseCode.BadHandshake);
    // /nick goes through the same key.
    await using bob = await TestClient.join(app, { name: "bob" });
    bob.send({ type: "chat", text: "/nick \u0430lice" });
    expect(await bob.error(ErrorCode.NameTaken)).toMatchObject({ code: "name_taken" });
  });

  it("shows the NFC form the user chose, not the key", async () => {
    await using app = await startServer();
    await using c = await TestClient.join(app, { name: "Ｚｏe\u0301" });
    expect(c.name).toBe("Ｚｏé");
    await using watcher = await TestClient.join(app);
    expect(watcher.all("users")[0]?.users.map((u) => u.name)).toContain("Ｚｏé");
  });

  it("refuses reserved names at the handshake and for /nick", async () => {
    await using app = await startServer();
    for (const name of ["system", "Server", "ＡＤＭＩＮ", "\u0430dmin"]) {
      const c = await TestClient.connect(app, { name });
      expect([name, await c.next("error")]).toMatchObject([name, { code: ErrorCode.InvalidName, message: expect.stringContaining("reserved") }]);
      expect((await c.closed).code).toBe(CloseCode.BadHandshake);
    }
    await using c = await TestClient.join(app, { name: "someone" });
    c.send({ type: "chat", text: "/nick Moderator" });
    expect(await c.error(ErrorCode.InvalidName)).toMatchObject({ message: expect.stringContaining("reserved") });
  });

  it("of two /nick carol in the same tick, exactly one wins", async () => {
    await using app = await startServer();
    for (let round = 0; round < 5; round++) {
      const target = `carol${round}`;
      await using a = await TestClient.join(app);
      await using b = await TestClient.join(app);
      // Both frames go out back to back; the server handles them in the same tick.
      a.send({ type: "chat", text: `/nick ${target}` });
      b.send({ type: "chat", text: `/nick ${target.toUpperCase()}` });
      await Promise.all([a.sync(), b.sync()]);
      const won = [a, b].filter((c) => c.all("identity").some((n) => n.name.toLowerCase() === target));
      const lost = [a, b].filter((c) => c.all("error").some((e) => e.code === ErrorCode.NameTaken));
      expect([won.length, lost.length]).toEqual([1, 1]);
    }
  });

  it("a user renaming within their own key (alice → Alice) keeps the name, and frees it on leaving", async () => {
    await using app = await startServer();
    const a = await TestClient.join(app, { name: "alice" });
    expect(await a.request({ type: "chat", text: "/nick Alice" })).toMatchObject({ type: "identity", name: "Alice" });
    await a.close();
    await using again = await TestClient.join(app, { name: "ALICE" });
    expect(again.name).toBe("ALICE");
  });
});
