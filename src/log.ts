// A tiny structured logger: one JSON object per line on stdout. User-controlled strings go
// through JSON.stringify, so a name or message can never forge a log line.
import type { LogLevel } from "./config.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

/** Writes to `write` (stdout by default) every line at or above `level`. */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: Fields) => {
    if (RANK[lvl] < min) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** A logger that drops everything: for embedding and unit tests. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A logger that writes at most one line per message per `intervalMs`, for lines a client or an
 * outage can cause at any rate (refused upgrades, bad tokens, requests failing while Redis is
 * away): a flood of them must not become a flood of log lines. The next line written for a
 * message after some were dropped carries `suppressed`, how many. Messages are the code's own
 * literals, so the table stays as small as the set of them.
 */
export function throttledLogger(log: Logger, intervalMs = 1000, now: () => number = Date.now): Logger {
  const state = new Map<string, { nextMs: number; suppressed: number }>();
  const at = (write: Logger[keyof Logger]) => (msg: string, fields?: Fields) => {
    const t = now();
    const s = state.get(msg);
    if (s && t < s.nextMs) {
      s.suppressed++;
      return;
    }
    const suppressed = s?.suppressed ?? 0;
    state.set(msg, { nextMs: t + intervalMs, suppressed: 0 });
    write(msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  };
  return { debug: at(log.debug), info: at(log.info), warn: at(log.warn), error: at(log.error) };
}
