// Writes the README's screenshots of the web client, in headless Chromium: a real conversation
// (one person in the browser, two SDK clients) on a desktop (docs/screenshot.png), on a phone
// (docs/screenshot-phone.png) and in the dark theme (docs/screenshot-dark.png).
// Run with `bun run screenshot` (needs /usr/bin/chromium; the committed images were taken with
// fonts-droid-fallback and fonts-noto-color-emoji installed, for the shrug and the emoji).
import { join } from "node:path";
import { HubbubClient } from "hubbub/client";
import type { Page } from "playwright-core";
import { defaultConfig } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { createServer } from "../src/server.ts";
import { PHONE, launchBrowser, openChat, say } from "../test/browser.ts";

const docs = join(import.meta.dir, "..", "docs");
await using browser = await launchBrowser();

/** A fresh server with a conversation in it, and `page` opened on it as alice. */
async function scene(shoot: (url: string) => Promise<Page>, file: string): Promise<void> {
  await using app = await createServer(defaultConfig({ port: 0, host: "127.0.0.1", presenceIntervalMs: 10, dataDir: "" }), { log: silentLogger });
  const friend = async (name: string) => {
    const c = new HubbubClient({ url: app.wsUrl, name, rooms: ["lobby", "dev"] });
    await c.connect();
    return c;
  };
  await using priya = await friend("priya");
  await using marco = await friend("marco");
  await priya.send("morning all ☕");
  await marco.send("hey! did the release go out last night?");
  await marco.send("the changelog is at https://example.com/changelog");
  const page = await shoot(app.httpUrl);
  await page.waitForFunction(() => document.querySelectorAll("#users li").length === 3);
  await say(page, "/join dev");
  await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#dev");
  await page.click('#rooms [data-key="#lobby"]').catch(async () => {
    await page.click("#open-rooms");
    await page.click('#rooms [data-key="#lobby"]');
  });
  await say(page, "it did: **v0.4** is live, reconnects are much smoother now");
  await page.locator("#messages li.own[data-seq]").waitFor();
  await marco.send("/me does a little dance");
  await priya.send("/shrug works on my machine");
  await priya.send("nice work @alice, the `Retry now` button is a good touch");
  await marco.send("I'll review the PR after lunch", "dev");
  await priya.direct("alice", "coffee at 11?");
  await page.locator("#messages li.msg", { hasText: "good touch" }).waitFor();
  await page.locator('#dms [data-key="@priya"] .unread').waitFor({ state: "attached" });
  await page.locator('#rooms [data-key="#dev"] .unread').waitFor({ state: "attached" });
  await page.fill("#input", "see you all at standup");
  await marco.notifyTyping("lobby");
  await page.waitForFunction(() => document.querySelector("#typing")?.textContent !== "");
  await page.screenshot({ path: join(docs, file) });
  console.log(`wrote docs/${file}`);
  await page.context().close();
}

await scene((url) => openChat(browser, url, "alice", { width: 1200, height: 720 }), "screenshot.png");
await scene((url) => openChat(browser, url, "alice", PHONE), "screenshot-phone.png");
await scene((url) => openChat(browser, url, "alice", { width: 1200, height: 720 }, { colorScheme: "dark" }), "screenshot-dark.png");
