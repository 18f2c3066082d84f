// The single compiled executable: built here with the same command as `bun run build`, then
// started as a real process and smoke-tested (page + assets, chat, SIGTERM).
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthenticator } from "../src/auth.ts";
import { CloseCode } from "../src/shared/codes.ts";
import { TestClient, spawnServer } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "hubbub-bin-"));
const binary = join(dir, "hubbub");

beforeAll(async () => {
  const build = Bun.spawn([process.execPath, "build", "--compile", "--minify", "--sourcemap", "src/index.ts", "--outfile", binary], {
    cwd: join(import.meta.dir, ".."),
    stdout: "pipe",
    stderr: "pipe",
  });
  if ((await build.exited) !== 0) throw new Error(`build failed: ${await new Response(build.stderr).text()}`);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("compiled binary", () => {
  it("prints --help and refuses a bad setting with one line", async () => {
    const help = Bun.spawnSync([binary, "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("SLOW_CONSUMER_BYTES");
    const bad = Bun.spawnSync([binary, "--rate-limit", "lots"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString().trim().split("\n")).toEqual(['hubbub: invalid setting RATE_LIMIT (--rate-limit) = "lots": must be a number']);
  });

  it("mints a token with `hubbub token` that the server accepts", async () => {
    const secret = "b".repeat(40);
    const proc = Bun.spawn([binary, "token", "bin-user", "Bin"], { env: { ...process.env, AUTH_SECRET: secret }, stdout: "pipe" });
    const token = (await new Response(proc.stdout).text()).trim();
    expect(await proc.exited).toBe(0);
    expect(await createAuthenticator(secret).verify(token)).toMatchObject({ ok: true, identity: { userId: "bin-user", name: "Bin" } });
  });

  it("serves the page and its assets, chats, and shuts down cleanly on SIGTERM", async () => {
    // The default JIT_FTL=0 and a flag, so that the re-execution without FTL (src/jit.ts) is seen
    // to hand the executable its arguments and not its embedded entry point (refused as one).
    await using srv = await spawnServer({}, [binary, "--presence-interval-ms", "40"]);
    const listening = srv.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "listening");
    expect(listening.jit).toEqual({ ftl: false });
    expect(readFileSync(`/proc/${srv.proc.pid}/environ`, "utf8").split("\0")).toContain("BUN_JSC_useFTLJIT=0");
    const page = await fetch(`${srv.httpUrl}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith("http") && !u.startsWith("data:"));
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await fetch(new URL(asset, `${srv.httpUrl}/`));
      expect([asset, res.status]).toEqual([asset, 200]);
    }
    expect((await fetch(`${srv.httpUrl}/healthz`)).status).toBe(200);

    const a = await TestClient.join(srv.wsUrl, { name: "alice" });
    const b = await TestClient.join(srv.wsUrl, { name: "bob" });
    const ack = await a.chat("hello from the binary");
    expect((await b.next("message")).seq).toBe(ack.seq);
    srv.proc.kill("SIGTERM");
    expect((await a.closed).code).toBe(CloseCode.GoingAway);
    expect((await b.closed).code).toBe(CloseCode.GoingAway);
    expect(await srv.exited).toBe(0);
  });
});
