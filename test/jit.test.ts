// The JIT policy (src/jit.ts): by default (JIT_FTL=0) a spawned server re-executes itself
// without JavaScriptCore's FTL tier (same pid, same arguments); with JIT_FTL=1 it keeps FTL and
// starts once; an operator's own BUN_JSC_useFTLJIT is left alone; and the pinned Bun honours
// the option. The compiled executable's side is in test/binary.test.ts.
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { FTL_ENV, jitState, profiling, relaunchArgv } from "../src/jit.ts";
import { TestClient, spawnServer, tempDir } from "./helpers.ts";

const listening = (lines: string[]) => lines.map((l) => JSON.parse(l) as { msg: string; port?: number; jit?: { ftl: boolean } }).find((l) => l.msg === "listening");
/** The environment the process with this pid runs with now (after any execve). */
const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

describe("JIT policy", () => {
  it("by default re-executes a spawned server without FTL: same pid, its flags kept, and it serves", async () => {
    await using srv = await spawnServer({ WARMUP: "0" }, [process.execPath, "src/index.ts", "--presence-interval-ms", "40"]);
    expect(listening(srv.lines)?.jit).toEqual({ ftl: false });
    expect(environOf(srv.proc.pid)).toContain(`${FTL_ENV}=0`);
    await using alice = await TestClient.join(srv.wsUrl, { name: "alice" });
    expect((await alice.chat("still the same server")).seq).toBe(1);
  });

  it("keeps FTL with JIT_FTL=1, and leaves a BUN_JSC_useFTLJIT the operator set as it is", async () => {
    await using kept = await spawnServer({ WARMUP: "0", JIT_FTL: "1" });
    expect(listening(kept.lines)?.jit).toEqual({ ftl: true });
    expect(environOf(kept.proc.pid).some((v) => v.startsWith(`${FTL_ENV}=`))).toBe(false);
    await using own = await spawnServer({ WARMUP: "0", JIT_FTL: "0", [FTL_ENV]: "1" });
    expect(listening(own.lines)?.jit).toEqual({ ftl: true });
    expect(environOf(own.proc.pid)).toContain(`${FTL_ENV}=1`);
    await expect(spawnServer({ JIT_FTL: "maybe" })).rejects.toThrow(/invalid setting JIT_FTL \(--jit-ftl\) = "maybe"/);
  });

  it("does not re-execute under a profiler (its SIGPWR would kill the new process) and says so on one line", async () => {
    await using dir = tempDir();
    await using srv = await spawnServer({ WARMUP: "0" }, [process.execPath, "--cpu-prof", `--cpu-prof-dir=${dir.path}`, "src/index.ts"]);
    expect(listening(srv.lines)?.jit).toEqual({ ftl: true });
    const warned = srv.lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === "warn");
    expect(warned.map((l) => l.msg)).toEqual([`running with FTL under a profiler or inspector; set ${FTL_ENV}=0 yourself to profile without it`]);
    expect(profiling(["--cpu-prof-dir=/tmp"])).toBe(true);
    expect(profiling(["--inspect-brk"])).toBe(true);
    expect(profiling(["--smol"])).toBe(false);
  });

  it("the pinned Bun honours BUN_JSC_useFTLJIT=0: a hot loop is compiled by DFG and never by FTL", () => {
    const hot = "let s = 0; function f(i) { return (i * 7) % 13; } for (let i = 0; i < 3e6; i++) s += f(i); console.log(s > 0);";
    const run = (ftl: string) => {
      const r = Bun.spawnSync([process.execPath, "-e", hot], { env: { ...process.env, BUN_JSC_reportCompileTimes: "1", [FTL_ENV]: ftl } });
      expect(r.exitCode).toBe(0);
      return r.stderr.toString() + r.stdout.toString();
    };
    expect(run("1")).toMatch(/using FTL/);
    const off = run("0");
    expect(off).toMatch(/using DFG/);
    expect(off).not.toMatch(/using FTL/);
  });

  it("relaunches a script with the runtime's flags, and a compiled executable without its embedded entry point", () => {
    expect(relaunchArgv("/usr/bin/bun", ["--cpu-prof"], ["/usr/bin/bun", "/srv/src/index.ts", "--port", "3100"], "/srv/src/index.ts"))
      .toEqual(["/usr/bin/bun", "--cpu-prof", "/srv/src/index.ts", "--port", "3100"]);
    expect(relaunchArgv("/opt/hubbub", [], ["bun", "/$bunfs/root/hubbub", "--port", "3100"], "/$bunfs/root/hubbub"))
      .toEqual(["/opt/hubbub", "--port", "3100"]);
    expect(relaunchArgv("C:\\hubbub.exe", [], ["bun", "B:/~BUN/root/hubbub.exe"], "B:/~BUN/root/hubbub.exe")).toEqual(["C:\\hubbub.exe"]);
    expect(jitState({})).toEqual({ ftl: true });
    expect(jitState({ [FTL_ENV]: "0" })).toEqual({ ftl: false });
    expect(jitState({ [FTL_ENV]: "false" })).toEqual({ ftl: false });
    expect(jitState({ [FTL_ENV]: "1" })).toEqual({ ftl: true });
  });
});
