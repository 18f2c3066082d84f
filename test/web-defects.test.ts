// The defects a new user hit in the web page (docs: /work/shared/reviews, issue 15), each one
// checked in headless Chromium against a real server. Every test here failed before its fix.
import { describe, expect, it } from "bun:test";
import type { Page } from "playwright-core";
import { mintToken } from "../src/auth.ts";
import { startServer } from "./helpers.ts";
import { PHONE, atBottom, confirmed, connectedPage, gatePage, chromiumPerFile, openChat, say, skipBrowser } from "./browser.ts";
import { sdkClient } from "./sdk.ts";

const toast = (page: Page, text: string | RegExp) => page.locator("#toasts .toast", { hasText: text });

describe.skipIf(skipBrowser)("web page defects", () => {
  const chrome = chromiumPerFile();

  it("shows the SDK's own refusals (a bad room, a room one is not in, a bad name) and has no composer without a room", async () => {
    await using app = await startServer();
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await say(page, "/join bad room!");
    await toast(page, "Room names are 1–32 characters").waitFor();
    expect(await page.textContent("#toasts")).not.toContain("^[a-z");
    await say(page, "/leave nosuch");
    await toast(page, "You are not in #nosuch.").waitFor();
    await say(page, "/nick bad name");
    await toast(page, "Names are 1–32 letters").waitFor();
    // Leaving every room: an empty state that says what to do, and nothing to type into.
    await page.click("#leave");
    await page.locator("#empty").waitFor();
    expect(await page.isDisabled("#input")).toBe(true);
    expect(await page.textContent("#title")).toBe("No conversation");
    await page.fill("#empty-join-input", "den");
    await page.press("#empty-join-input", "Enter");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    expect(await page.isDisabled("#input")).toBe(false);
    await page.context().close();
  }, 30_000);

  it("keeps the first name dialog open on Escape (with a way in as a guest); a rename dialog cancels cleanly, however often", async () => {
    await using app = await startServer();
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const nicks: string[] = [];
    page.on("websocket", (ws) => ws.on("framesent", (f) => void (typeof f.payload === "string" && f.payload.includes('"nick"') && nicks.push(f.payload))));
    await page.goto(app.httpUrl);
    await page.locator("#name-dialog[open]").waitFor();
    await page.keyboard.press("Escape");
    await page.locator("#name-dialog[open]").waitFor();
    expect(await page.locator("#name-dialog[open]").count()).toBe(1);
    expect(await page.textContent("#name-other")).toBe("Join as a guest");
    await page.click("#name-other");
    await connectedPage(page);
    expect(await page.textContent("#rename")).toMatch(/^guest-/);
    // Focus is in the composer, ready to type.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("input");

    for (let i = 0; i < 3; i++) {
      await page.click("#rename");
      await page.locator("#name-dialog[open]").waitFor();
      expect(await page.textContent("#name-title")).toBe("Change your name");
      await page.keyboard.press("Escape");
      await page.locator("#name-dialog[open]").waitFor({ state: "detached" });
    }
    await page.click("#rename");
    await page.click("#name-other"); // Cancel
    await page.locator("#name-dialog[open]").waitFor({ state: "detached" });
    await page.click("#rename");
    await page.fill("#name-input", "esmeralda");
    await page.press("#name-input", "Enter");
    await page.waitForFunction(() => document.querySelector("#rename")?.textContent === "esmeralda");
    await say(page, "/who");
    await page.locator("#messages li.notice", { hasText: "esmeralda" }).waitFor();
    expect(nicks).toHaveLength(1);
    expect(await page.locator("#messages li.notice", { hasText: "already" }).count()).toBe(0);
    await context.close();
  }, 30_000);

  it("refuses an over-long message before sending, keeps the draft and counts down near the limit", async () => {
    await using app = await startServer({ maxTextLength: 300 });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await page.fill("#input", "x".repeat(150));
    expect(await page.textContent("#counter")).toBe("150 left");
    const long = "y".repeat(310);
    await page.fill("#input", long);
    expect(await page.textContent("#counter")).toBe("10 over the limit");
    await page.press("#input", "Enter");
    expect(await page.inputValue("#input")).toBe(long);
    expect(await page.textContent("#counter")).toContain("Too long to send");
    expect(await page.locator("#messages li.msg").count()).toBe(0);
    await page.context().close();
  }, 30_000);

  it("scrolls to your own message, offers 'new messages below' when scrolled up, and stays at the bottom when the layout changes", async () => {
    await using app = await startServer();
    await using bob = await sdkClient(app, { name: "bob" });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    for (let i = 0; i < 40; i++) await bob.send(`filler ${i}`);
    await confirmed(page, "filler 39").waitFor();
    expect(await atBottom(page)).toBe(true);
    await page.$eval("#messages", (l) => (l.scrollTop -= 300));
    await page.locator('#messages[data-stuck="false"]').waitFor();
    await bob.send("while you were up there");
    await page.locator("#jump:not([hidden])").waitFor();
    expect(await atBottom(page)).toBe(false);
    await say(page, "my own message");
    await confirmed(page, "my own message").waitFor();
    await page.waitForFunction(() => {
      const l = document.querySelector("#messages")!;
      return l.scrollHeight - l.scrollTop - l.clientHeight < 8;
    });
    expect(await page.isHidden("#jump")).toBe(true);
    await page.$eval("#messages", (l) => (l.scrollTop -= 300));
    await page.locator('#messages[data-stuck="false"]').waitFor();
    await bob.send("another one");
    await page.click("#jump");
    expect(await atBottom(page)).toBe(true);
    // A phone-sized window, and back: still at the bottom.
    await page.setViewportSize(PHONE);
    await page.waitForFunction(() => {
      const l = document.querySelector("#messages")!;
      return l.scrollHeight - l.scrollTop - l.clientHeight < 8;
    });
    await page.context().close();
  }, 30_000);

  it("shows a message typed offline as pending, then confirmed; a failed one gets Retry", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const gate = await gatePage(page);
    await page.goto(app.httpUrl);
    await page.fill("#name-input", "alice");
    await page.press("#name-input", "Enter");
    await connectedPage(page);
    await gate.cut();
    await page.waitForSelector('#status[data-state="reconnecting"]');
    await say(page, "sent while away");
    const pending = page.locator("#messages li.pending", { hasText: "sent while away" });
    await pending.waitFor();
    expect(await pending.textContent()).toContain("Sending…");
    expect(await page.inputValue("#input")).toBe("");
    gate.restore();
    await page.click("#retry", { timeout: 2000 }).catch(() => undefined);
    await connectedPage(page);
    await confirmed(page, "sent while away").waitFor();
    await pending.waitFor({ state: "detached" });

    // A direct message to someone who has gone fails, and is kept with Retry.
    const bob = await sdkClient(app, { name: "bob" });
    await page.locator("#users .user-button", { hasText: "bob" }).click();
    await page.click('#rooms [data-key="#lobby"]');
    await bob.close();
    await page.waitForFunction(() => document.querySelectorAll("#users li").length === 1);
    await page.click('#dms [data-key="@bob"]');
    await say(page, "are you there?");
    const failed = page.locator("#messages li.pending.failed", { hasText: "are you there?" });
    await failed.waitFor();
    expect(await failed.textContent()).toContain("Nobody here is called bob.");
    await using back = await sdkClient(app, { name: "bob" });
    await failed.locator("button", { hasText: "Retry" }).click();
    await page.locator("#messages li.msg.direct:not(.pending)", { hasText: "are you there?" }).waitFor();
    expect(await page.locator("#messages li.pending").count()).toBe(0);
    expect(back.name).toBe("bob");
    await context.close();
  }, 30_000);

  it("words refusals for people, once: a taken name is offered back to change, with no toast and no close code", async () => {
    await using app = await startServer();
    await using holder = await sdkClient(app, { name: "alice" });
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    await page.goto(app.httpUrl);
    await page.fill("#name-input", "ALICE");
    await page.press("#name-input", "Enter");
    await page.locator("#name-dialog[open]").waitFor();
    await page.waitForFunction(() => document.querySelector("#name-title")?.textContent === "Pick another name");
    const problem = (await page.textContent("#name-error")) ?? "";
    expect(problem).toContain("Someone else is using “ALICE”");
    expect(problem).not.toMatch(/4409|refused/);
    expect(await page.inputValue("#name-input")).toBe("ALICE");
    expect(await page.locator("#toasts .toast").count()).toBe(0);
    expect(await page.isHidden("#rename")).toBe(true);
    await page.fill("#name-input", "alicia");
    await page.press("#name-input", "Enter");
    await connectedPage(page);
    expect(await page.textContent("#rename")).toBe("alicia");
    expect(holder.name).toBe("alice");
    await context.close();
  }, 30_000);

  it("under AUTH_SECRET: no name prompt with a token, which leaves the address bar and goes as the bearer subprotocol; without one, a clear dead end", async () => {
    const secret = "k".repeat(32);
    await using app = await startServer({ authSecret: secret });
    const token = await mintToken(secret, "u-1", "tokenuser", 600);
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on("websocket", (ws) => void sockets.push(ws.url()));
    await page.goto(`${app.httpUrl}/?token=${token}`);
    await connectedPage(page);
    expect(await page.locator("#name-dialog[open]").count()).toBe(0);
    expect(page.url()).not.toContain("token");
    expect(sockets.every((u) => !u.includes("token"))).toBe(true);
    expect(await page.isHidden("#rename")).toBe(true);
    await say(page, "signed in");
    expect(await confirmed(page, "signed in").locator(".from").textContent()).toBe("tokenuser");
    // A reload in the same tab still signs in.
    await page.reload();
    await connectedPage(page);
    await context.close();

    // Without a token the page cannot know the server wants one until it tries: after the name,
    // the refusal says what is needed instead of asking for another name.
    const stranger = await (await chrome.browser.newContext()).newPage();
    await stranger.goto(app.httpUrl);
    await stranger.fill("#name-input", "someone");
    await stranger.press("#name-input", "Enter");
    await stranger.locator("#blocked[open]").waitFor();
    expect(await stranger.locator("#name-dialog[open]").count()).toBe(0);
    expect(await stranger.textContent("#blocked")).toContain("sign-in link");
    await stranger.context().close();
  }, 30_000);

  it("lays /help out in columns, de-duplicates toasts away from the composer, and keeps the phone top bar on one line while reconnecting", async () => {
    await using app = await startServer();
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await say(page, "/help");
    const rows = page.locator("#messages .columns .row:not(.wide) code");
    await rows.first().waitFor();
    const lefts = await rows.evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().left)));
    const descs = await page.locator("#messages .columns .row:not(.wide) span").evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().left)));
    expect(lefts.length).toBeGreaterThan(5);
    expect(new Set(lefts).size).toBe(1);
    expect(new Set(descs).size).toBe(1);
    for (let i = 0; i < 3; i++) await say(page, "/frobnicate");
    await page.locator("#toasts .toast", { hasText: "×3" }).waitFor();
    expect(await page.locator("#toasts .toast").count()).toBe(1);
    const t = (await page.locator("#toasts .toast").boundingBox())!;
    const send = (await page.locator("#composer button[type=submit]").boundingBox())!;
    expect(t.y + t.height).toBeLessThan(send.y);
    await page.context().close();

    const phone = await openChat(chrome.browser, app.httpUrl, "pam", PHONE);
    const gateless = (await phone.locator(".topbar").boundingBox())!.height;
    await app.shutdown();
    await phone.waitForSelector('#status[data-state="reconnecting"]');
    expect((await phone.locator(".topbar").boundingBox())!.height).toBe(gateless);
    await phone.context().close();
  }, 30_000);

  it("reopens the rooms and direct conversations after a reload, on the one that was on screen", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using bob = await sdkClient(app, { name: "bob" });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    await say(page, "/join den");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    await say(page, "/join games");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#games");
    await say(page, "/msg bob hi");
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "@bob");
    await page.click('#rooms [data-key="#den"]');
    await page.reload();
    await connectedPage(page);
    expect(await page.$$eval("#rooms [data-key]", (els) => els.map((e) => e.getAttribute("data-key")))).toEqual(["#lobby", "#den", "#games"]);
    expect(await page.$$eval("#dms [data-key]", (els) => els.map((e) => e.getAttribute("data-key")))).toEqual(["@bob"]);
    expect(await page.textContent("#title")).toBe("#den");
    await page.context().close();
  }, 30_000);
});
