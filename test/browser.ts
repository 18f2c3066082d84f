// Headless Chromium for the browser tests: Debian's `chromium` package driven by
// playwright-core, which never downloads a browser. Without Chromium the tests skip with a
// clear message, except in CI (CI is set), where they must run: .ci/run installs it.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Skip only on a developer machine without Chromium; in CI a missing browser must fail. */
export const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (skipBrowser) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium); CI always runs them`);

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * Launches Chromium. Playwright gives every launch a fresh temporary user-data dir and removes
 * it on close; each newContext() is a separate profile (its own localStorage), so one browser
 * process can hold several users.
 */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** Opens the web client at `url` in a fresh profile, picks `name` in the dialog, waits until connected. */
export async function openChat(browser: Browser, url: string, name: string, viewport = { width: 1100, height: 720 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`page error (${name}):`, err));
  await page.goto(url);
  await page.fill("#name-input", name);
  await page.press("#name-input", "Enter");
  await connectedPage(page);
  return page;
}

export async function connectedPage(page: Page, timeout = 5000): Promise<void> {
  await page.waitForSelector('#status[data-state="connected"]', { timeout });
}

/** Types a line into the composer and sends it with Enter. */
export async function say(page: Page, line: string): Promise<void> {
  await page.fill("#input", line);
  await page.press("#input", "Enter");
}

/** The texts of the message lines on screen, in order. */
export function shownTexts(page: Page): Promise<string[]> {
  return page.$$eval("#messages li.msg .text", (els) => els.map((e) => e.textContent ?? ""));
}

/** The names in the People list. */
export function shownUsers(page: Page): Promise<string[]> {
  return page.$$eval("#users li", (els) => els.map((e) => (e.textContent ?? "").replace(" (you)", "").trim()));
}
