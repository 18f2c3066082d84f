// Entry point: configuration in, server up, signals wired. No logic of its own.
import { loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { runBackupCommand } from "./backup-cli.ts";
import { createServer, type App } from "./server.ts";
import { runTokenCommand } from "./token-cli.ts";
import { applyJitPolicy, jitState } from "./jit.ts";
import { warmUp, type WarmUpResult } from "./warmup.ts";

if (process.argv[2] === "token") {
  const r = await runTokenCommand(process.argv.slice(3), process.env);
  (r.code === 0 ? console.log : console.error)(r.out);
  process.exit(r.code);
}
if (process.argv[2] === "backup") {
  const r = runBackupCommand(process.argv.slice(3), process.env);
  (r.code === 0 ? console.log : console.error)(r.out);
  process.exit(r.code);
}

const loaded = loadConfig(process.env, process.argv.slice(2));
if (loaded.ok === "help") {
  console.log(loaded.text);
  process.exit(0);
}
if (loaded.ok === false) {
  console.error(`hubbub: ${loaded.error}`);
  process.exit(2);
}
const config = loaded.config;
const log = createLogger(config.logLevel);
// First, before any socket or file is open: with JIT_FTL=0 (the default) this replaces the
// process (same pid) with one started without JavaScriptCore's FTL tier (src/jit.ts).
const keptFtl = applyJitPolicy(config.jitFtl, process.env);
if (keptFtl) log.warn(keptFtl);
// SIGTERM and SIGINT start one graceful shutdown; a second signal changes nothing. If the
// shutdown itself were ever stuck, the process still exits shortly after its deadline. The
// handlers go in before the server starts (and so before the "listening" line that tells a
// supervisor it may signal us): a signal in between would otherwise kill us with 130.
let app: App | null = null;
let stopping = false;
const onSignal = (signal: string) => {
  log.info("signal", { signal });
  if (stopping) return;
  stopping = true;
  if (!app) process.exit(0);
  setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 1000).unref();
  void app.shutdown().then(() => process.exit(0));
};
process.on("SIGTERM", () => onSignal("SIGTERM"));
process.on("SIGINT", () => onSignal("SIGINT"));

// Before listening, so that the first crowd meets compiled code; reported on the "listening" line.
let warmup: WarmUpResult | null = null;
if (config.warmup > 0) {
  warmup = await warmUp(config, config.warmup).catch((err: unknown) => {
    log.warn("warm-up failed; starting cold", { error: String((err as Error).message ?? err) });
    return null;
  });
}
app = await createServer(config, { log }).catch((err: unknown) => {
  console.error(`hubbub: cannot start: ${(err as Error).message ?? err}`);
  process.exit(1);
});
log.info("listening", { url: app.httpUrl, ws: app.wsUrl, port: app.server.port, engine: config.engine, store: config.engine === "redis" ? "redis" : config.dataDir ? config.store : "memory", nodeId: app.engine.nodeId, warmup, jit: jitState(process.env) });
