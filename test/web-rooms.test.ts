// Rooms with owners and large rooms in the page, in headless Chromium against a real server: the
// topic in the header, the private badge, roles in the people list, the person menu of an owner
// (moderator on, kick), the kicked user told who did it, room changes as system lines, refusals
// in words; a large room's count, Load more and search, and a people list that is rebuilt on
// roster changes only.
import { describe, expect, it } from "bun:test";
import type { Page } from "playwright-core";
import { TestClient, startServer } from "./helpers.ts";
import { axe, chromiumPerFile, confirmed, openChat, say, shownUsers, skipBrowser } from "./browser.ts";
import { sdkClient } from "./sdk.ts";

const toast = (page: Page, text: string) => page.locator("#toasts .toast", { hasText: text }).waitFor();
const person = (page: Page, name: string) => page.locator("#users li", { hasText: name }).first();

describe.skipIf(skipBrowser)("web page: rooms with owners", () => {
  const chrome = chromiumPerFile();

  it("shows the topic, the private badge and roles; an owner's menu makes a moderator and kicks; the kicked user is told by whom", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    const alice = await openChat(chrome.browser, app.httpUrl, "alice");
    const bob = await openChat(chrome.browser, app.httpUrl, "bob");
    for (const p of [alice, bob]) p.setDefaultTimeout(5000);
    await person(alice, "bob").waitFor();
    await say(alice, "/topic Plans for today");
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => document.querySelector("#topic")?.textContent === "Plans for today");
      // A room change is a system line in words, not a chat bubble.
      expect(await page.locator("#messages li.room .text").last().textContent()).toBe("alice set the topic: Plans for today");
    }
    expect(await bob.locator("#messages li.msg").count()).toBe(0);
    await say(bob, "/list");
    await bob.locator("#messages li.notice", { hasText: "Public rooms: #lobby (2) Plans for today" }).waitFor();
    expect(await person(bob, "alice").getAttribute("data-role")).toBe("owner");
    expect(await bob.locator("#users .more").count()).toBe(0);
    expect(await shownUsers(bob)).toEqual(["alice", "bob"]);

    await person(alice, "bob").locator(".more").click();
    const menu = alice.locator("#menu");
    await menu.waitFor();
    expect(await menu.locator("button:visible").allTextContents()).toEqual(["Kick", "Ban", "Ban for 1 hour", "Mute", "Mute for 1 hour", "Make moderator"]);
    expect(await axe(alice)).toEqual([]);
    await menu.locator('[data-act="op"]').click();
    await alice.waitForFunction(() => document.querySelector('#users li[data-role="moderator"]')?.textContent?.includes("bob"));
    await bob.waitForFunction(() => document.querySelector("#users li.own")?.getAttribute("data-role") === "moderator");

    await person(alice, "bob").locator(".more").click();
    expect(await menu.locator("button:visible").allTextContents()).toEqual(["Kick", "Ban", "Ban for 1 hour", "Mute", "Mute for 1 hour", "Remove moderator"]);
    await menu.locator('[data-act="deop"]').click();
    await bob.waitForFunction(() => document.querySelector("#users li.own")?.getAttribute("data-role") === "member");
    await alice.locator("#messages li.room", { hasText: "alice made bob a member" }).waitFor();
    await person(alice, "bob").locator(".more").click();
    await menu.locator('[data-act="kick"]').click();
    await toast(bob, "alice removed you from #lobby.");
    await bob.locator('#rooms [data-key="#lobby"]').waitFor({ state: "detached" });
    await alice.locator("#messages li.room", { hasText: "alice removed bob" }).waitFor();
    await alice.waitForFunction(() => document.querySelectorAll("#users li").length === 1);

    // Private: a badge in the header, and a stranger's join refused in words.
    await say(alice, "/private");
    await alice.locator("#badge:visible").waitFor();
    expect(await alice.textContent("#badge")).toBe("private");
    await bob.fill("#empty-join-input", "lobby");
    await bob.press("#empty-join-input", "Enter");
    await toast(bob, "You may not join #lobby.");
    await alice.context().close();
    await bob.context().close();
  }, 30_000);

  it("words each refusal: muted, slowmode, a ban, and a ban that comes while in the room", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using owner = await sdkClient(app, { name: "owner", rooms: ["den"] });
    const bob = await openChat(chrome.browser, app.httpUrl, "bob");
    bob.setDefaultTimeout(5000);
    await say(bob, "/join den");
    await bob.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
    await owner.mute("den", "bob", { seconds: 60 });
    await say(bob, "hello?");
    await bob.locator("#messages li.failed", { hasText: /You are muted in #den for \d+ more seconds\./ }).waitFor();
    await owner.unmute("den", "bob");
    await owner.setMode("den", { slowmode: 60 });
    await say(bob, "one");
    await confirmed(bob, "one").waitFor();
    await say(bob, "two");
    await bob.locator("#messages li.failed", { hasText: /#den is in slowmode: you may post again in \d+ seconds\./ }).waitFor();
    await owner.ban("den", "bob", { seconds: 600 });
    await toast(bob, "owner banned you from #den.");
    await bob.fill("#join-input", "den");
    await bob.press("#join-input", "Enter");
    await toast(bob, "You are banned from #den.");
    await bob.context().close();
  }, 30_000);
});

describe.skipIf(skipBrowser)("web page: a large room", () => {
  const chrome = chromiumPerFile();

  it("shows the count, loads more members, finds one by name, and rebuilds the list on roster changes only", async () => {
    await using app = await startServer({ presenceListMax: 4, largePresenceIntervalMs: 20, presenceIntervalMs: 5 });
    const crowd = await Promise.all(Array.from({ length: 104 }, (_, i) => TestClient.join(app, { name: `c${i}`, room: "hall" })));
    try {
      const page = await openChat(chrome.browser, app.httpUrl, "alice");
      await say(page, "/join hall");
      await page.waitForFunction(() => document.querySelector("#count")?.textContent === "105 people");
      expect(await page.locator("#users li").count()).toBe(100);
      await page.locator("#find:visible").waitFor();
      await page.click("#more");
      await page.waitForFunction(() => document.querySelectorAll("#users li").length === 105);
      expect(await page.locator("#more").isHidden()).toBe(true);

      // Messages do not rebuild the list; a roster change (the count) does.
      await page.$eval("#users li", (li) => li.setAttribute("data-mark", "1"));
      for (let i = 0; i < 3; i++) crowd[i]!.send({ type: "chat", room: "hall", text: `msg ${i}` });
      await confirmed(page, "msg 2").waitFor();
      expect(await page.locator("#users li[data-mark]").count()).toBe(1);
      await using late = await TestClient.join(app, { name: "late", room: "hall" });
      await page.waitForFunction(() => document.querySelector("#count")?.textContent === "106 people");
      expect(await page.locator("#users li[data-mark]").count()).toBe(0);

      await page.fill("#find-input", "C50");
      await page.press("#find-input", "Enter");
      await page.waitForFunction(() => document.querySelectorAll("#users li").length === 1);
      expect(await shownUsers(page)).toEqual(["c50"]);
      await page.fill("#find-input", "nobody");
      await page.press("#find-input", "Enter");
      await page.waitForFunction(() => document.querySelector("#count")?.textContent === "Nobody here is called nobody.");
      expect(await page.locator("#users li").count()).toBe(0);
      await page.fill("#find-input", "");
      await page.press("#find-input", "Enter");
      await page.waitForFunction(() => document.querySelectorAll("#users li").length === 105);
      expect(await axe(page)).toEqual([]);
      await page.context().close();
    } finally {
      await Promise.all(crowd.map((c) => c.close()));
    }
  }, 40_000);
});
