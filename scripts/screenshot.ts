// Writes docs/screenshot.png: a real conversation in the web client, in headless Chromium.
// Three people (one in the browser, two SDK clients) talk in two rooms and a direct message.
// Run with `bun run screenshot` (needs /usr/bin/chromium; the committed image was taken with
// fonts-droid-fallback and fonts-noto-color-emoji installed, for the shrug and the emoji).
import { join } from "node:path";
import { HubbubClient } from "hubbub/client";
import { defaultConfig } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { createServer } from "../src/server.ts";
import { launchBrowser, openChat, say } from "../test/browser.ts";

const out = join(import.meta.dir, "..", "docs", "screenshot.png");
await using app = await createServer(defaultConfig({ port: 0, host: "127.0.0.1", presenceIntervalMs: 10 }), { log: silentLogger });
await using browser = await launchBrowser();

const friend = async (name: string) => {
  const c = new HubbubClient({ url: app.wsUrl, name, rooms: ["lobby", "dev"] });
  await c.connect();
  return c;
};
await using priya = await friend("priya");
await using marco = await friend("marco");
await priya.send("morning all ☕");
await marco.send("hey! did the release go out last night?");

const page = await openChat(browser, app.httpUrl, "alice", { width: 1200, height: 720 });
await page.waitForFunction(() => document.querySelectorAll("#users li").length === 3);
await say(page, "/join dev");
await page.waitForFunction(() => document.querySelector("#title")?.textContent === "#dev");
await page.click('#rooms [data-key="#lobby"]');
await say(page, "it did: v0.4 is live, reconnects are much smoother now");
await page.locator("#messages li.own").waitFor();
await marco.send("/me does a little dance");
await priya.send("/shrug works on my machine");
await priya.send("nice work though, the retry button is a good touch");
await say(page, "thanks! next up: the Redis engine");
await marco.send("I'll review the PR after lunch", "dev");
await priya.direct("alice", "coffee at 11?");
await page.locator("#messages li.msg", { hasText: "Redis engine" }).waitFor();
await page.locator('#dms [data-key="@priya"] .unread').waitFor();
await page.locator('#rooms [data-key="#dev"] .unread').waitFor();
await page.fill("#input", "see you all at standup");
await page.screenshot({ path: out });
console.log(`wrote ${out}`);
