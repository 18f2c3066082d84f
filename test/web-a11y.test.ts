// The page loads clean and passes an accessibility check, in headless Chromium: no console
// errors and no failed requests on load (the favicon is inline), and axe-core (run inside the
// page) finds no WCAG 2.1 A/AA violations (labels, roles, names, contrast) in the light and dark
// themes, at desktop and phone sizes, with a conversation, the name dialog, and a drawer open.
import { describe, expect, it } from "bun:test";
import { startServer } from "./helpers.ts";
import { PHONE, axe, confirmed, chromiumPerFile, openChat, say, skipBrowser, watchProblems } from "./browser.ts";
import { sdkClient } from "./sdk.ts";

describe.skipIf(skipBrowser)("web page health", () => {
  const chrome = chromiumPerFile();

  it("loads with no console error and no failed request, and the name dialog passes axe", async () => {
    await using app = await startServer();
    const page = await (await chrome.browser.newContext()).newPage();
    const problems = watchProblems(page);
    await page.goto(app.httpUrl);
    await page.locator("#name-dialog[open]").waitFor();
    expect(await axe(page)).toEqual([]);
    await page.fill("#name-input", "alice");
    await page.press("#name-input", "Enter");
    await page.waitForSelector('#status[data-state="connected"]');
    await page.reload();
    await page.waitForSelector('#status[data-state="connected"]');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 30_000);

  for (const [label, viewport, colorScheme] of [
    ["desktop, light", { width: 1200, height: 760 }, "light"],
    ["desktop, dark", { width: 1200, height: 760 }, "dark"],
    ["phone, light", PHONE, "light"],
    ["phone, dark", PHONE, "dark"],
  ] as const) {
    it(`passes axe with a conversation on screen (${label})`, async () => {
      await using app = await startServer({ presenceIntervalMs: 10 });
      await using bob = await sdkClient(app, { name: "bob", rooms: ["lobby", "den"] });
      const page = await openChat(chrome.browser, app.httpUrl, "alice", viewport, { colorScheme });
      const problems = watchProblems(page);
      await say(page, "/join den");
      await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#den");
      await page.evaluate(() => document.querySelector<HTMLButtonElement>('#rooms [data-key="#lobby"]')!.click());
      await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#lobby");
      await bob.send("hi **alice**, see https://example.com and `code`");
      await bob.send("@alice are you there?");
      await bob.send("news in den", "den");
      await bob.direct("alice", "psst");
      await say(page, "/me waves");
      await say(page, "/help");
      await page.locator("#messages .columns").waitFor();
      await confirmed(page, "are you there").waitFor();
      await page.locator('#rooms [data-key="#den"] .unread').waitFor({ state: "attached" });
      expect(await axe(page)).toEqual([]);
      if (viewport === PHONE) {
        await page.click("#open-rooms");
        await page.locator("#sidebar.open").waitFor();
        expect(await axe(page)).toEqual([]);
      }
      expect(problems).toEqual([]);
      await page.context().close();
    }, 30_000);
  }
});
