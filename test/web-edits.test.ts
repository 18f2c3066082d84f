// The web client's stored-message features in headless Chromium: edit, delete and react on a
// line, and older messages loaded when the reader scrolls to the top (durable store).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { TestClient, startServer, tempDir } from "./helpers.ts";
import { launchBrowser, openChat, say, shownTexts, skipBrowser } from "./browser.ts";

const line = (page: Page, text: string) => page.locator("#messages li.msg", { hasText: text }).first();

describe.skipIf(skipBrowser)("web client: edits, deletes, reactions, scrollback", () => {
  let browser: Browser & AsyncDisposable;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 30_000);
  afterAll(() => browser?.close());

  it("edits and deletes your own message, reacts to another's, and every page shows it", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, presenceIntervalMs: 10 });
    const alice = await openChat(browser, app.httpUrl, "alice");
    const bob = await openChat(browser, app.httpUrl, "bob");
    await say(alice, "helo bob");
    await line(bob, "helo bob").waitFor();
    // Only your own lines offer Edit and Delete.
    await line(bob, "helo bob").hover();
    expect(await line(bob, "helo bob").locator("button[data-action=edit]").count()).toBe(0);

    await line(bob, "helo bob").locator("button[data-action=react]").click();
    await line(alice, "helo bob").locator(".reaction", { hasText: "👍 1" }).waitFor();
    expect(await line(bob, "helo bob").locator(".reaction").getAttribute("aria-pressed")).toBe("true");
    expect(await line(alice, "helo bob").locator(".reaction").getAttribute("aria-pressed")).toBe("false");

    alice.once("dialog", (d) => void d.accept("hello bob"));
    await line(alice, "helo bob").hover();
    await line(alice, "helo bob").locator("button[data-action=edit]").click();
    await line(bob, "hello bob").locator(".edited").waitFor();
    expect(await line(bob, "hello bob").locator(".text").textContent()).toBe("hello bob (edited)");

    await line(alice, "hello bob").hover();
    await line(alice, "hello bob").locator("button[data-action=delete]").click();
    await bob.locator("#messages li.msg .text.deleted").waitFor();
    expect(await shownTexts(bob)).toEqual(["message deleted"]);
    expect(await bob.locator("#messages .reaction").count()).toBe(0);
  }, 30_000);

  it("loads older messages when the reader scrolls to the top of a room", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, rateLimit: 1_000_000 });
    await using writer = await TestClient.join(app, { name: "writer" });
    for (let i = 1; i <= 120; i++) {
      writer.send({ type: "chat", text: `old ${i}`, ref: i });
      if (i % 40 === 0) await writer.count("ack", i);
    }
    const reader = await openChat(browser, app.httpUrl, "reader");
    await reader.waitForFunction(() => document.querySelectorAll("#messages li.msg").length === 50);
    expect((await shownTexts(reader)).at(0)).toBe("old 71");
    for (const want of [100, 120]) {
      await reader.evaluate(() => {
        document.querySelector("#messages")!.scrollTop = 0;
      });
      await reader.waitForFunction((n) => document.querySelectorAll("#messages li.msg").length === n, want);
    }
    const texts = await shownTexts(reader);
    expect(texts.at(0)).toBe("old 1");
    expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `old ${i + 1}`));
  }, 30_000);
});
