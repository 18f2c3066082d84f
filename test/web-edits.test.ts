// The web client's stored-message features in headless Chromium: edit, delete and react on a
// line (the actions bar shows on hover, focus or a tap; Edit opens the edit dialog), every page
// updating live, refusals as worded toasts, and older messages loaded when the reader scrolls to
// the top (durable store), changes to messages not loaded yet included.
import { describe, expect, it } from "bun:test";
import type { Page } from "playwright-core";
import { TestClient, startServer, tempDir } from "./helpers.ts";
import { PHONE, atBottom, chromiumPerFile, confirmed, openChat, say, shownTexts, skipBrowser, watchProblems } from "./browser.ts";

const line = (page: Page, text: string) => page.locator("#messages li.msg[data-id]", { hasText: text }).first();
const button = (page: Page, text: string, action: string, emoji?: string) => line(page, text).locator(`.msg-actions button[data-action=${action}]${emoji ? `[data-emoji="${emoji}"]` : ""}`);

/** Hovers the line and clicks one of its actions. */
async function act(page: Page, text: string, action: string, emoji?: string): Promise<void> {
  await line(page, text).hover();
  await button(page, text, action, emoji).click();
}

/** Edits the line showing `text` through the edit dialog. */
async function edit(page: Page, text: string, next: string): Promise<void> {
  await act(page, text, "edit");
  await page.locator("#edit-dialog[open]").waitFor();
  expect(await page.inputValue("#edit-input")).toBe(text);
  await page.fill("#edit-input", next);
  await page.press("#edit-input", "Enter");
  await page.locator("#edit-dialog[open]").waitFor({ state: "detached" });
}

/** Stores `n` messages `old 1`…`old n` from a protocol client; resolves with their acks (ids by ref). */
async function storeOld(app: Parameters<typeof TestClient.join>[0], n: number) {
  const writer = await TestClient.join(app, { name: "writer" });
  for (let i = 1; i <= n; i++) {
    writer.send({ type: "chat", text: `old ${i}`, ref: i });
    if (i % 40 === 0) await writer.count("ack", i);
  }
  const acks = await writer.count("ack", n);
  return { writer, room: acks[0]!.room, id: (ref: number) => acks.find((a) => a.ref === ref)!.id };
}

/** Scrolls the reader to the top until `n` message lines are shown. */
async function scrollUntil(page: Page, n: number): Promise<void> {
  await page.evaluate(() => {
    document.querySelector("#messages")!.scrollTop = 0;
  });
  await page.waitForFunction((want) => document.querySelectorAll("#messages li.msg").length === want, n);
}

describe.skipIf(skipBrowser)("web client: edits, deletes, reactions, scrollback", () => {
  const chrome = chromiumPerFile();

  it("edits and deletes your own message, reacts to another's, and every page shows it", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, presenceIntervalMs: 10 });
    const alice = await openChat(chrome.browser, app.httpUrl, "alice");
    const bob = await openChat(chrome.browser, app.httpUrl, "bob");
    const problems = [watchProblems(alice), watchProblems(bob)];
    await say(alice, "helo bob");
    await line(bob, "helo bob").waitFor();
    await confirmed(alice, "helo bob").waitFor();
    // Only your own lines offer Edit and Delete; everyone's offer reactions.
    await line(bob, "helo bob").hover();
    expect(await button(bob, "helo bob", "edit").count()).toBe(0);
    expect(await button(bob, "helo bob", "delete").count()).toBe(0);
    await line(alice, "helo bob").hover();
    expect(await button(alice, "helo bob", "edit").count()).toBe(1);
    expect(await button(alice, "helo bob", "delete").count()).toBe(1);

    // A reaction shows as a chip with its count on both pages, pressed where the reader is among them.
    await act(bob, "helo bob", "react", "👍");
    await line(alice, "helo bob").locator(".reaction", { hasText: "👍 1" }).waitFor();
    await line(bob, "helo bob").locator(".reaction", { hasText: "👍 1" }).waitFor();
    expect(await line(bob, "helo bob").locator(".reaction").getAttribute("aria-pressed")).toBe("true");
    expect(await line(alice, "helo bob").locator(".reaction").getAttribute("aria-pressed")).toBe("false");
    // Alice adds hers with the chip itself: two, pressed for both.
    await line(alice, "helo bob").locator(".reaction").click();
    await line(bob, "helo bob").locator(".reaction", { hasText: "👍 2" }).waitFor();
    await line(alice, "helo bob").locator('.reaction[aria-pressed="true"]', { hasText: "👍 2" }).waitFor();
    // Bob's chip click takes his back.
    await line(bob, "helo bob").locator(".reaction").click();
    await line(alice, "helo bob").locator(".reaction", { hasText: "👍 1" }).waitFor();
    await line(bob, "helo bob").locator('.reaction[aria-pressed="false"]', { hasText: "👍 1" }).waitFor();

    // An edit shows "(edited)" on every page, through the dialog, with the reaction kept.
    await edit(alice, "helo bob", "hello bob");
    await line(bob, "hello bob").locator(".edited").waitFor();
    expect(await line(bob, "hello bob").locator(".text").textContent()).toBe("hello bob (edited)");
    expect(await line(alice, "hello bob").locator(".text").textContent()).toBe("hello bob (edited)");
    expect(await line(bob, "hello bob").locator(".reaction").textContent()).toBe("👍 1");

    // A delete leaves a tombstone everywhere: no text, no reactions, no actions.
    await act(alice, "hello bob", "delete");
    await bob.locator("#messages li.msg .text.deleted").waitFor();
    await alice.locator("#messages li.msg .text.deleted").waitFor();
    for (const page of [alice, bob]) {
      expect(await shownTexts(page)).toEqual(["message deleted"]);
      expect(await page.locator("#messages .reaction").count()).toBe(0);
      expect(await page.locator("#messages .msg-actions").count()).toBe(0);
    }
    expect(problems.flat()).toEqual([]);
  }, 30_000);

  it("says in words when a change is refused, and shows actions on a tap on a phone", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, presenceIntervalMs: 10 });
    const alice = await openChat(chrome.browser, app.httpUrl, "alice");
    const bob = await openChat(chrome.browser, app.httpUrl, "bob", PHONE);
    await say(alice, "going soon");
    await confirmed(alice, "going soon").waitFor();
    await line(bob, "going soon").waitFor();
    // No hover on a phone: a tap on the line shows its actions.
    const bar = line(bob, "going soon").locator(".msg-actions");
    expect(await bar.evaluate((e) => getComputedStyle(e).opacity)).toBe("0");
    await line(bob, "going soon").locator(".text").click();
    await bob.waitForFunction(() => getComputedStyle(document.querySelector("#messages li.open .msg-actions")!).opacity === "1");
    await button(bob, "going soon", "react", "❤️").click();
    await line(alice, "going soon").locator(".reaction", { hasText: "❤️ 1" }).waitFor();

    // Alice opens the editor, but the message goes (from another tab) before she saves.
    await act(alice, "going soon", "edit");
    await alice.locator("#edit-dialog[open]").waitFor();
    const other = await alice.context().newPage();
    await other.goto(app.httpUrl);
    await line(other, "going soon").waitFor();
    await act(other, "going soon", "delete");
    await line(alice, "message deleted").waitFor();
    await alice.fill("#edit-input", "going now");
    await alice.press("#edit-input", "Enter");
    await alice.locator(".toast", { hasText: "That message is no longer there" }).waitFor();
    expect(await alice.locator(".toast").first().textContent()).not.toMatch(/not_found/);
  }, 30_000);

  it("loads older messages when the reader scrolls to the top of a room", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, rateLimit: 1_000_000 });
    const { writer } = await storeOld(app, 120);
    await using _ = writer;
    const reader = await openChat(chrome.browser, app.httpUrl, "reader");
    await reader.waitForFunction(() => document.querySelectorAll("#messages li.msg").length === 50);
    expect((await shownTexts(reader)).at(0)).toBe("old 71");
    for (const want of [100, 120]) await scrollUntil(reader, want);
    const texts = await shownTexts(reader);
    expect(texts.at(0)).toBe("old 1");
    expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `old ${i + 1}`));
  }, 30_000);

  it("takes edits and deletes of messages it has not loaded yet, and shows them when they are", async () => {
    using dir = tempDir();
    await using app = await startServer({ dataDir: dir.path, rateLimit: 1_000_000 });
    const { writer, room, id } = await storeOld(app, 120);
    await using _ = writer;
    const reader = await openChat(chrome.browser, app.httpUrl, "reader");
    const problems = watchProblems(reader);
    await reader.waitForFunction(() => document.querySelectorAll("#messages li.msg").length === 50);
    writer.send({ type: "delete", room, id: id(1), ref: "x1" });
    writer.send({ type: "edit", room, id: id(2), text: "old two", ref: "e2" });
    writer.send({ type: "react", room, id: id(3), emoji: "👍", on: true, ref: "r3" });
    // One the page has loaded changes in place; the reader stays at the bottom.
    writer.send({ type: "edit", room, id: id(120), text: "old 120 again", ref: "e120" });
    await line(reader, "old 120 again").locator(".edited").waitFor();
    expect(await atBottom(reader)).toBe(true);
    for (const want of [100, 120]) await scrollUntil(reader, want);
    const texts = await shownTexts(reader);
    expect(texts.slice(0, 4)).toEqual(["message deleted", "old two (edited)", "old 3", "old 4"]);
    expect(texts.at(-1)).toBe("old 120 again (edited)");
    expect(texts).toHaveLength(120);
    expect(await line(reader, "old 3").locator(".reaction").textContent()).toBe("👍 1");
    expect(await reader.locator("#messages li.msg.deleted .reaction, #messages li.msg.deleted .msg-actions").count()).toBe(0);
    // A change above where the reader is looking (a new chip row) does not move what they see.
    const place = () => reader.$eval("#messages", (l) => [...l.querySelectorAll("li.msg")].find((li) => li.textContent?.includes("old 60"))!.getBoundingClientRect().top);
    await reader.evaluate(() => {
      const l = document.querySelector("#messages")!;
      const li = [...l.querySelectorAll("li.msg")].find((e) => e.textContent?.includes("old 60"))!;
      li.scrollIntoView({ block: "start" });
    });
    await reader.waitForFunction(() => document.querySelector<HTMLElement>("#messages")!.dataset.stuck === "false");
    const before = await place();
    writer.send({ type: "react", room, id: id(50), emoji: "🎉", on: true, ref: "r50" });
    await line(reader, "old 50").locator(".reaction", { hasText: "🎉 1" }).waitFor();
    expect(Math.abs((await place()) - before)).toBeLessThan(2);
    expect(problems).toEqual([]);
  }, 30_000);
});
