// Moderation in the page, in headless Chromium against a real server: a room's changes are no
// news (no unread count, no mention badge), a moderator or owner may delete anyone's message
// (a member only their own; edit stays the author's), room-change lines offer no actions, and
// the person menu works from the keyboard (Escape closes it and gives focus back to its button).
import { describe, expect, it } from "bun:test";
import type { Page } from "playwright-core";
import { startServer } from "./helpers.ts";
import { PHONE, axe, chromiumPerFile, confirmed, joinRoom, openChat, say, skipBrowser } from "./browser.ts";
import { sdkClient } from "./sdk.ts";

const badge = (page: Page, room: string) => page.locator(`#rooms [data-key="#${room}"] .unread`);
/** The labels of the actions bar of the confirmed message showing `text`. */
const actions = (page: Page, text: string) => confirmed(page, text).locator(".msg-actions button").allTextContents();

describe.skipIf(skipBrowser)("web page: moderation", () => {
  const chrome = chromiumPerFile();

  it("counts no room change as unread and no topic that names the user as a mention", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    page.setDefaultTimeout(5000);
    // The owner made den first; alice, a member, reads lobby while den changes.
    await using owner = await sdkClient(app, { name: "owner", rooms: ["den"] });
    await joinRoom(page, "den");
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('#rooms [data-key="#lobby"]')!.click());
    await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#lobby");

    await owner.setTopic("den", "ask @alice about it");
    await owner.setMode("den", { slowmode: 5 });
    await owner.send("plain news", "den");
    // The one message counts; the two changes before it do not, and the topic is no mention.
    await badge(page, "den").waitFor();
    expect(await badge(page, "den").textContent()).toBe("1");
    expect(await page.title()).toBe("(1) Hubbub");

    // Opening the room reads it; a change that comes while away again raises no badge.
    await page.click('#rooms [data-key="#den"]');
    await badge(page, "den").waitFor({ state: "detached" });
    await page.click('#rooms [data-key="#lobby"]');
    await owner.setTopic("den", "still for @alice");
    await owner.send("hey @alice", "den");
    await badge(page, "den").waitFor();
    expect(await badge(page, "den").textContent()).toBe("@1");
    await page.context().close();
  }, 30_000);

  it("offers Delete on anyone's message to a moderator or owner, on their own only to a member, and no actions on a room change", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    await using owner = await sdkClient(app, { name: "owner", rooms: ["den"] });
    await using bob = await sdkClient(app, { name: "bob", rooms: ["den"] });
    const page = await openChat(chrome.browser, app.httpUrl, "alice");
    page.setDefaultTimeout(5000);
    await joinRoom(page, "den");
    await owner.setTopic("den", "house rules");
    await bob.send("bob's words", "den");
    await say(page, "alice's words");
    await confirmed(page, "alice's words").waitFor();
    const reactions = ["👍", "❤️", "😂"];
    // A member: Edit and Delete on their own message, reactions only on another's.
    expect(await actions(page, "alice's words")).toEqual([...reactions, "Edit", "Delete"]);
    expect(await actions(page, "bob's words")).toEqual(reactions);
    // A room change is a system line: no reactions, no Edit, no Delete.
    await page.locator("#messages li.room", { hasText: "house rules" }).waitFor();
    expect(await page.locator("#messages li.room button").count()).toBe(0);

    // Made a moderator: Delete on everyone's messages at once (the lines drawn already too), Edit still only on their own.
    await owner.setRole("den", "alice", "moderator");
    await page.waitForFunction(() => document.querySelectorAll("#messages li.msg [data-action=delete]").length === 2);
    expect(await actions(page, "bob's words")).toEqual([...reactions, "Delete"]);
    expect(await actions(page, "alice's words")).toEqual([...reactions, "Edit", "Delete"]);
    expect(await page.locator("#messages li.room button").count()).toBe(0);
    await confirmed(page, "bob's words").hover();
    await confirmed(page, "bob's words").locator("[data-action=delete]").click();
    await page.locator("#messages li.deleted").waitFor();

    // A member again: Delete only on their own.
    await bob.send("bob again", "den");
    await confirmed(page, "bob again").waitFor();
    expect(await actions(page, "bob again")).toEqual([...reactions, "Delete"]);
    await owner.setRole("den", "alice", "member");
    await page.waitForFunction(() => document.querySelectorAll("#messages li.msg [data-action=delete]").length === 1);
    expect(await actions(page, "bob again")).toEqual(reactions);
    expect(await actions(page, "alice's words")).toEqual([...reactions, "Edit", "Delete"]);
    await page.context().close();
  }, 30_000);

  it("opens the person menu from the keyboard, closes it on Escape with the focus back on its button, and bans or mutes for an hour", async () => {
    await using app = await startServer({ presenceIntervalMs: 10 });
    const page = await openChat(chrome.browser, app.httpUrl, "alice", PHONE);
    page.setDefaultTimeout(5000);
    await using bob = await sdkClient(app, { name: "bob", rooms: ["lobby"] });
    await page.click("#open-people");
    await page.locator("#people.open").waitFor();
    const more = page.locator('#users .more[aria-label="Actions for bob"]');
    const menu = page.locator("#menu");
    await more.focus();
    await page.keyboard.press("Enter");
    await menu.waitFor();
    expect(await more.getAttribute("aria-expanded")).toBe("true");
    expect(await menu.locator("button:visible").allTextContents()).toEqual(["Kick", "Ban", "Ban for 1 hour", "Mute", "Mute for 1 hour", "Make moderator"]);
    expect(await axe(page)).toEqual([]);
    // The menu follows its button: Tab reaches its first entry; Escape closes it and hands the
    // focus back, and leaves the drawer around it open (the next Escape is the drawer's).
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Kick");
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "hidden" });
    expect(await more.getAttribute("aria-expanded")).toBe("false");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Actions for bob");
    expect(await page.locator("#people.open").count()).toBe(1);
    await page.keyboard.press("Escape");
    await page.locator("#people.open").waitFor({ state: "detached" });

    await page.click("#open-people");
    await more.click();
    await menu.locator("button", { hasText: "Mute for 1 hour" }).click();
    await page.locator("#messages li.room", { hasText: "alice muted bob for 1 hour" }).waitFor();
    await expect(bob.send("let me talk")).rejects.toMatchObject({ code: "muted" });
    // The drawer stays open after an entry: the next person is a tap away.
    await more.click();
    await menu.locator("button", { hasText: "Ban for 1 hour" }).click();
    await page.locator("#messages li.room", { hasText: "alice banned bob for 1 hour" }).waitFor();
    await expect(bob.join("lobby")).rejects.toMatchObject({ code: "banned" });
    await page.context().close();
  }, 30_000);
});
