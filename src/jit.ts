// The JIT policy: JavaScriptCore with or without its top tier (FTL), JIT_FTL (default 0: without).
//
// JSC compiles a function with FTL once it has run some thousands of times, and on a server
// that moment comes in the middle of a crowd: the storm of 10,000 connections into one room,
// after the warm-up, compiled about 180 ms of FTL code on the server's core while handshakes
// waited (BUN_JSC_reportCompileTimes). Without FTL that storm cost 30-32 µs of server CPU per
// connection against 42-47, and in full benchmark runs alternated with and without FTL steady
// message traffic read the same either way (its per-message JavaScript runs a few hundred times
// a second; the deliveries are Bun's native publish): bench/findings.md. So FTL is off unless
// JIT_FTL=1.
//
// JSC reads its options from BUN_JSC_* variables once, when the process starts, so with
// JIT_FTL=0 the server re-executes itself first thing with BUN_JSC_useFTLJIT=0: execve, the
// same pid, stdio and arguments, before a socket or file is opened. A BUN_JSC_useFTLJIT the
// operator set is left as it is. These variables are JavaScriptCore's, not a stable Bun API:
// test/jit.test.ts checks on the pinned Bun that the option is accepted and in effect.

/** The JSC option, as Bun reads it from the environment at start-up. */
export const FTL_ENV = "BUN_JSC_useFTLJIT";

/** What the JIT runs with, for the listening line. */
export interface JitState {
  ftl: boolean;
}

/** The state this process started with (FTL is on unless the variable turned it off). */
export function jitState(env: Record<string, string | undefined>): JitState {
  const v = env[FTL_ENV];
  return { ftl: !(v === "0" || v === "false") };
}

/**
 * The argv to start this same program again: the runtime, its own flags (`--cpu-prof`, …) and
 * the script for `bun src/index.ts`; a compiled executable's argv[1] is its embedded entry
 * point (`/$bunfs/…`, `B:/~BUN/…` on Windows), which it must not be handed back as an argument.
 */
export function relaunchArgv(execPath: string, execArgv: readonly string[], argv: readonly string[], main: string): string[] {
  const standalone = main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/") || main.startsWith("B:\\~BUN\\");
  return standalone ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, ...argv.slice(1)];
}

/**
 * Under a profiler or inspector (`--cpu-prof`, `--inspect…`) the process is not re-executed:
 * JavaScriptCore's sampler suspends the main thread with SIGPWR, and one still pending at the
 * execve reaches the new process before it has a handler, which kills it (seen: 2 starts in 12).
 */
export function profiling(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => a.startsWith("--cpu-prof") || a.startsWith("--inspect"));
}

/**
 * Turns FTL off by re-executing the process, unless `keepFtl` (JIT_FTL=1) or the
 * variable is already set. Returns only when nothing was re-executed: with what to log when FTL
 * stays on for another reason than those two (a profiler, no or a failed execve), else null.
 */
export function applyJitPolicy(keepFtl: boolean, env: Record<string, string | undefined>): string | null {
  if (keepFtl || env[FTL_ENV] !== undefined) return null;
  if (profiling(process.execArgv)) return `running with FTL under a profiler or inspector; set ${FTL_ENV}=0 yourself to profile without it`;
  const execve = process.execve;
  if (!execve) return "cannot re-execute without the FTL JIT tier (no process.execve in this runtime); running with it";
  const argv = relaunchArgv(process.execPath, process.execArgv, process.argv, Bun.main);
  try {
    execve(process.execPath, argv, { ...env, [FTL_ENV]: "0" });
  } catch (err) {
    return `cannot re-execute without the FTL JIT tier (${(err as Error).message ?? err}); running with it`;
  }
  return null; // not reached: execve replaces the process
}
