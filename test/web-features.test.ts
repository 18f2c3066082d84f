// What a chat user expects from the page, in headless Chromium against a real server: typing
// indicators and read markers between browser contexts and tabs, unread counts and the divider,
// mentions, formatting and safe links, multi-line input, grouping, scrollback, the dark theme,
// the Ctrl+K switcher and the phone layout.
import { describe, expect, it } from "bun:test";
import { startServer } from "./helpers.ts";
import { PHONE, confirmed, connectedPage, chromiumPerFile, openChat, say, skipBrowser } from "./browser.ts";
import { sdkClient } from "./sdk.ts";

describe.skipIf(skipBrowser)("web page features", () => {
  const chrome = chromiumPerFile();

  it("shows who is typing in the other chrome.browser, until their message arrives", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    const alice = await openChat(chrome.browser, app.httpUrl, "alice");
    const bob = await openChat(chrome.browser, app.httpUrl, "bob", PHONE);
    await bob.locator("#input").pressSequentially("hel");
    await alice.waitForFunction(() => document.querySelector("#typing")?.textContent === "bob is typing…");
    await bob.locator("#input").pressSequentially("lo");
    await bob.press("#input", "Enter");
    await confirmed(alice, "hello").waitFor();
    await alice.waitForFunction(() => document.querySelector("#typing")?.textContent === "");
    expect(await bob.textContent("#typing")).toBe("");
    await alice.context().close();
    await bob.context().close();
  }, 30_000);

  it("clears a room's badge in one tab when the other tab reads it, and keeps counts and the divider across a reload", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using bob = await sdkClient(app, { name: "bob", rooms: ["lobby", "den"] });
    const tab1 = await openChat(chrome.browser, app.httpUrl, "alice");
    await say(tab1, "/join den");
    await tab1.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    await tab1.click('#rooms [data-key="#lobby"]');
    const tab2 = await tab1.context().newPage();
    await tab2.goto(app.httpUrl);
    await connectedPage(tab2);
    await tab2.click('#rooms [data-key="#lobby"]');
    await bob.send("one", "den");
    await bob.send("two @alice", "den");
    for (const tab of [tab1, tab2]) {
      await tab.locator('#rooms [data-key="#den"] .unread').waitFor();
      expect(await tab.textContent('#rooms [data-key="#den"] .unread')).toBe("@2");
      expect(await tab.textContent('#rooms [data-key="#den"] .visually-hidden')).toBe(" unread, 1 mentioning you");
      expect(await tab.title()).toBe("(2 @) Hubbub");
    }
    await tab1.click('#rooms [data-key="#den"]');
    // The divider sits before the first unread message; the mention is marked.
    expect(await tab1.locator("#messages .divider + li.msg .text").textContent()).toBe("one");
    expect(await tab1.locator("#messages li.mentioned").count()).toBe(1);
    expect(await tab1.locator("#messages li.mentioned .mention.mine").textContent()).toBe("@alice");
    await tab2.locator('#rooms [data-key="#den"] .unread').waitFor({ state: "detached" });
    expect(await tab2.title()).toBe("Hubbub");
    // tab1 looks away; a new message is unread in both tabs, and still after a reload.
    await tab1.click('#rooms [data-key="#lobby"]');
    await bob.send("three", "den");
    await tab1.locator('#rooms [data-key="#den"] .unread').waitFor();
    await tab2.locator('#rooms [data-key="#den"] .unread').waitFor();
    await tab1.close();
    await tab2.reload();
    await connectedPage(tab2);
    await tab2.locator('#rooms [data-key="#den"] .unread').waitFor();
    expect(await tab2.textContent('#rooms [data-key="#den"] .unread')).toBe("1");
    await tab2.click('#rooms [data-key="#den"]');
    expect(await tab2.locator("#messages .divider + li.msg .text").textContent()).toBe("three");
    await tab2.context().close();
  }, 30_000);

  it("renders bold, italic, code, code blocks and safe links without markup from the text, and keeps Shift+Enter lines", async () => {
    await using app = await startServer();
    await using bob = await sdkClient(app, { name: "bob" });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await bob.send("**bold** and *it* and `x<y>` see https://example.com/a?b=1. or javascript:alert(1) <b>no</b>");
    await bob.send("```\nconst a = 1;\n```");
    const first = confirmed(page, "bold");
    await first.waitFor();
    expect(await first.locator(".text strong").textContent()).toBe("bold");
    expect(await first.locator(".text em").textContent()).toBe("it");
    expect(await first.locator(".text code").textContent()).toBe("x<y>");
    const link = first.locator(".text a");
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe("https://example.com/a?b=1");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await page.locator("#messages b").count()).toBe(0);
    expect(await page.locator("#messages pre code").textContent()).toBe("const a = 1;");
    // Two messages from bob within a minute: the second continues the first.
    expect(await page.locator("#messages li.msg").nth(1).getAttribute("class")).toContain("cont");
    expect(await page.locator("#messages li.day").first().textContent()).toBe("Today");

    await page.fill("#input", "line one");
    await page.press("#input", "Shift+Enter");
    await page.locator("#input").pressSequentially("line two");
    expect(await page.inputValue("#input")).toBe("line one\nline two");
    await page.press("#input", "Enter");
    await confirmed(page, "line two").waitFor();
    expect(await confirmed(page, "line two").locator(".text").textContent()).toBe("line one\nline two");
    await page.context().close();
  }, 30_000);

  it("loads older messages when scrolled to the top, keeping the reader's place", async () => {
    await using app = await startServer({ historySize: 100, rateLimit: 1000 });
    await using bob = await sdkClient(app, { name: "bob" });
    for (let i = 0; i < 130; i++) await bob.send(`line ${i}`);
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await confirmed(page, "line 129").waitFor();
    // The join replays the newest page (the oldest kept ones fell out: not a full recovery).
    const firstShown = await page.locator("#messages li.msg .text").first().textContent();
    expect(firstShown).toBe("line 80");
    const anchor = confirmed(page, "line 80");
    // Scroll to the top, and note where "line 80" is on screen at that moment.
    const before = await page.$eval("#messages", (l) => {
      l.scrollTop = 0;
      return l.querySelector('li[data-seq="81"]')!.getBoundingClientRect().top;
    });
    await confirmed(page, "line 30").waitFor({ state: "attached" });
    // "line 80" stays where the reader left it, not pushed 50 lines down (its day separator,
    // now above line 30, is all that may move).
    expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(45);
    expect(await page.locator("#messages li.msg").count()).toBe(100);
    await page.context().close();
  }, 30_000);

  it("follows prefers-color-scheme, with a toggle that is remembered", async () => {
    await using app = await startServer();
    const page = await openChat(chrome.browser, app.httpUrl, "alice", undefined, { colorScheme: "dark" });
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await page.getAttribute("#theme", "aria-pressed")).toBe("true");
    const bg = await page.$eval("html", (h) => getComputedStyle(h).backgroundColor);
    await page.click("#theme");
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    expect(await page.$eval("html", (h) => getComputedStyle(h).backgroundColor)).not.toBe(bg);
    await page.reload();
    await connectedPage(page);
    expect(await page.getAttribute("html", "data-theme")).toBe("light");
    await page.context().close();
  }, 30_000);

  it("switches conversations with Ctrl+K and closes dialogs with Escape", async () => {
    await using app = await startServer();
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await say(page, "/join den");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    await page.keyboard.press("Control+K");
    await page.locator("#switcher[open]").waitFor();
    await page.keyboard.type("lob");
    expect(await page.$$eval("#switcher-list li", (els) => els.map((e) => e.textContent))).toEqual(["#lobby"]);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#lobby");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("input");
    await page.keyboard.press("Control+K");
    await page.locator("#switcher[open]").waitFor();
    await page.keyboard.press("Escape");
    await page.locator("#switcher[open]").waitFor({ state: "detached" });
    await page.context().close();
  }, 30_000);

  it("is a phone layout at 390×844: the conversation fills the screen, rooms and people are drawers, targets are 44 px, nothing scrolls sideways", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using bob = await sdkClient(app, { name: "bob" });
    const page = await openChat(chrome.browser, app.httpUrl, "pam", PHONE);
    await bob.send("a long message with a long unbroken word " + "x".repeat(200));
    await confirmed(page, "long message").waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await page.isVisible("#rooms")).toBe(false);
    const composer = (await page.locator("#composer").boundingBox())!;
    expect(composer.y + composer.height).toBeLessThanOrEqual(PHONE.height + 1);
    expect(composer.y).toBeGreaterThan(PHONE.height - 120);
    // Every visible button is a 44 px target.
    const small = await page.$$eval("button", (bs) =>
      bs.filter((b) => b.offsetParent !== null).map((b) => b.getBoundingClientRect()).filter((r) => r.height < 44 || r.width < 44).length,
    );
    expect(small).toBe(0);
    await page.click("#open-rooms");
    await page.locator("#sidebar.open").waitFor();
    expect(await page.getAttribute("#open-rooms", "aria-expanded")).toBe("true");
    await page.fill("#join-input", "den");
    await page.press("#join-input", "Enter");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    await page.locator("#sidebar.open").waitFor({ state: "detached" });
    await page.click("#open-people");
    await page.locator("#people.open").waitFor();
    await page.keyboard.press("Escape");
    await page.locator("#people.open").waitFor({ state: "detached" });
    await page.context().close();
  }, 30_000);
});
