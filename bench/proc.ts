// Child processes shared by the tests and the benchmark suite: a server started as its own
// process on a free port (read back from its "listening" log line), and what /proc says about
// any process (CPU time, resident memory) while it runs.

export interface ChildServer {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** Resident memory of the process in bytes (VmRSS from /proc). */
  rss(): Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a server as its own process (`cmd`, default `bun src/index.ts`) on a free port and
 * waits for its "listening" line. Disposing kills it if it is still running.
 */
export async function spawnServer(env: Record<string, string> = {}, cmd: string[] = [process.execPath, "src/index.ts"]): Promise<ChildServer> {
  const proc = Bun.spawn(cmd, {
    cwd: `${import.meta.dir}/..`,
    // DATA_DIR empty: a test or benchmark server keeps nothing on disk unless it is given a directory.
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: "", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  let port = 0;
  const listening = (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (!port && line.includes('"listening"')) port = JSON.parse(line).port;
      }
    }
  })();
  void listening;
  const started = Date.now();
  while (!port) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited ${proc.exitCode ?? proc.signalCode}: ${await new Response(proc.stderr).text()}`);
    if (Date.now() - started > 10_000) throw new Error("server did not start within 10 s");
    await Bun.sleep(10);
  }
  const httpUrl = `http://127.0.0.1:${port}`;
  return {
    proc,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    lines,
    exited: proc.exited,
    async rss() {
      return (await procStats(proc.pid))?.rssBytes ?? 0;
    },
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

/** Pins a running process, every thread of it, to a `taskset` CPU list (e.g. "0" or "1-3"). */
export function pinProcess(pid: number, cpus: string): void {
  Bun.spawnSync(["taskset", "-a", "-p", "-c", cpus, String(pid)], { stdout: "ignore" });
}

// ---- /proc readings -------------------------------------------------------------------------

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run). */
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcStats {
  /** User + system CPU time of the whole process (every thread), in ms; 10 ms resolution. */
  cpuMs: number;
  /** Resident memory now (VmRSS), in bytes. */
  rssBytes: number;
  /** Peak resident memory since the process started (VmHWM), in bytes. */
  hwmBytes: number;
}

/** CPU time and memory of a live process, or null when it is gone. */
export async function procStats(pid: number): Promise<ProcStats | null> {
  try {
    const [stat, status] = await Promise.all([Bun.file(`/proc/${pid}/stat`).text(), Bun.file(`/proc/${pid}/status`).text()]);
    // The command name (field 2) may hold spaces or parentheses: count fields after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SEC, rssBytes: kb("VmRSS") * 1024, hwmBytes: kb("VmHWM") * 1024 };
  } catch {
    return null;
  }
}
