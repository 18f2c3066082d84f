// Headless Chromium for the browser tests: Debian's `chromium` package driven by
// playwright-core, which never downloads a browser. Without Chromium the tests skip with a
// clear message, except in CI (CI is set), where they must run: .ci/run installs it.
import { afterAll, beforeAll, beforeEach } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page, type WebSocketRoute } from "playwright-core";

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
/**
 * One Chromium for a test file's describe block. A test that times out has its Chromium killed
 * by bun: the next test gets a fresh browser instead of failing for want of one.
 */
export function chromiumPerFile(): { readonly browser: Browser & AsyncDisposable } {
  const holder = { browser: null as unknown as Browser & AsyncDisposable };
  beforeAll(async () => {
    holder.browser = await launchBrowser();
  }, 30_000);
  beforeEach(async () => {
    if (!holder.browser.isConnected()) holder.browser = await launchBrowser();
  }, 30_000);
  afterAll(() => holder.browser?.close());
  return holder;
}

export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** A phone's viewport (an iPhone 13/14's CSS pixels). */
export const PHONE = { width: 390, height: 844 };

/**
 * Every console error and failed or 4xx/5xx request of a page, from now on. The page must load
 * and run with none; tests that expect some (a server that went away) filter them.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => void problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => void problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("response", (r) => void (r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`)));
  return problems;
}

/** Opens the web client at `url` in a fresh profile, picks `name` in the dialog, waits until connected. */
export async function openChat(browser: Browser, url: string, name: string, viewport = { width: 1100, height: 720 }, options: { colorScheme?: "light" | "dark" } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: options.colorScheme ?? "light" });
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

/** Joins `room` with `/join` and waits until the page shows it. */
export async function joinRoom(page: Page, room: string): Promise<void> {
  await say(page, `/join ${room}`);
  await page.waitForFunction((title) => document.querySelector("#title")?.textContent === title, `#${room}`);
}

/** The message line showing `text`, once the server confirmed it (pending lines have no seq). */
export function confirmed(page: Page, text: string) {
  return page.locator("#messages li.msg[data-seq]", { hasText: text }).first();
}

/** The texts of the message lines on screen, in order. */
export function shownTexts(page: Page): Promise<string[]> {
  return page.$$eval("#messages li.msg .text", (els) => els.map((e) => e.textContent ?? ""));
}

/** The names in the People list. */
export function shownUsers(page: Page): Promise<string[]> {
  return page.$$eval("#users li", (els) => els.map((e) => (e.textContent ?? "").replace(" (you)", "").trim()));
}

/**
 * Puts the page's WebSockets under the test's control (before the page connects): `cut()` drops
 * the live connection and refuses new ones (each attempt is closed at once with 1013) until
 * `restore()`. The server keeps running, so what the page sends meanwhile waits in its outbox.
 */
export async function gatePage(page: Page): Promise<{ cut(): Promise<void>; restore(): void }> {
  let blocked = false;
  const live = new Set<WebSocketRoute>();
  await page.routeWebSocket(/\/ws/, (ws) => {
    if (blocked) return void ws.close({ code: 1013, reason: "blocked by the test" });
    live.add(ws);
    ws.connectToServer();
  });
  return {
    async cut() {
      blocked = true;
      for (const ws of live) await ws.close({ code: 1013, reason: "cut by the test" });
      live.clear();
    },
    restore() {
      blocked = false;
    },
  };
}

/** Whether the message list is scrolled to (within a few px of) its end. */
export function atBottom(page: Page): Promise<boolean> {
  return page.$eval("#messages", (l) => l.scrollHeight - l.scrollTop - l.clientHeight < 8);
}

const AXE = join(import.meta.dir, "../node_modules/axe-core/axe.min.js");

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** The WCAG 2.1 A/AA violations axe-core (run inside the page) finds there now, one line each. */
export async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }).axe.run;
    const r = await run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations;
  });
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(" ")}: ${n.failureSummary ?? ""}`));
}
