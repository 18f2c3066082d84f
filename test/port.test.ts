// A port already in use is a start-up error, never a silently shared listener: two Hubbubs on
// one port would be two independent hubs with the kernel splitting clients between them.
import { describe, expect, it } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { spawnServer, startServer, tempDir } from "./helpers.ts";

/**
 * Runs `src/index.ts` with `env` to its exit; its exit code and every non-empty output line.
 * A server that starts when it should not is killed after `limitMs` (and then fails the test).
 */
async function runToExit(env: Record<string, string>, limitMs = 5000): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  using dir = tempDir();
  const proc = Bun.spawn([process.execPath, "src/index.ts"], {
    cwd: `${import.meta.dir}/..`,
    // A DATA_DIR of its own: a server of the developer's on ./data must not matter here.
    env: { ...process.env, HOST: "127.0.0.1", DATA_DIR: dir.path, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), limitMs);
  const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout: lines(stdout), stderr: lines(stderr) };
}

describe("a port in use", () => {
  it("stops a second server on the same port with one line and exit 1; the first keeps serving", async () => {
    // The first server picks a free port itself (PORT=0); the second is told to take the same one.
    await using first = await spawnServer();
    const second = await runToExit({ PORT: String(first.port) });
    expect(second.code).toBe(1);
    expect(second.stdout).toEqual([]);
    expect(second.stderr).toEqual([`hubbub: cannot start: port ${first.port} is already in use`]);
    expect((await fetch(`${first.httpUrl}/healthz`)).status).toBe(200);
  }, 15_000);

  it("stops start-up when METRICS_PORT is in use", async () => {
    await using other = await startServer();
    const taken = other.server.port!;
    const started = await startServer({ metricsPort: taken }).catch((e: Error) => e);
    if (!(started instanceof Error)) await started.shutdown();
    expect(started).toBeInstanceOf(Error);
    expect((started as Error).message).toBe(`metrics port ${taken} is already in use`);
  });

  it("refuses METRICS_PORT equal to PORT as a configuration error (exit 2, one line)", async () => {
    expect(loadConfig({ PORT: "3100", METRICS_PORT: "3100" })).toEqual({ ok: false, error: "invalid setting METRICS_PORT (--metrics-port) = \"3100\": must differ from PORT" });
    expect(loadConfig({}, ["--port", "3100", "--metrics-port", "3100"])).toMatchObject({ ok: false });
    // Two ephemeral ports are two different ports.
    expect(loadConfig({ PORT: "0", METRICS_PORT: "0" })).toMatchObject({ ok: true });
    const r = await runToExit({ PORT: "3100", METRICS_PORT: "3100" });
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toEqual(['hubbub: invalid setting METRICS_PORT (--metrics-port) = "3100": must differ from PORT']);
  });
});
