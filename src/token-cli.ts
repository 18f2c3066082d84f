// `hubbub token <sub> <name> [--ttl 1h]`: mints a token with AUTH_SECRET (and AUDIENCE) from the
// environment, for testing and small deployments. Works the same in the compiled binary.
import { parseArgs } from "node:util";
import { mintToken, parseTtl } from "./auth.ts";
import { loadConfig } from "./config.ts";
import { normalizeName } from "./names.ts";

export const TOKEN_USAGE = "usage: hubbub token <sub> <name> [--ttl 1h]   (AUTH_SECRET must be set; AUDIENCE is used when set)";

/** Runs the sub-command; returns what to print and the exit code. Never throws. */
export async function runTokenCommand(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string }> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ttl: { type: "string", default: "1h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    return { code: 2, out: `hubbub token: ${(err as Error).message}\n${TOKEN_USAGE}` };
  }
  const [sub, name, ...extra] = parsed.positionals;
  if (!sub || !name || extra.length) return { code: 2, out: TOKEN_USAGE };
  const ttl = parseTtl(parsed.values.ttl);
  if (ttl === null) return { code: 2, out: `hubbub token: bad --ttl ${JSON.stringify(parsed.values.ttl)} (e.g. 90s, 15m, 1h, 7d)\n${TOKEN_USAGE}` };
  if (normalizeName(name) === null) return { code: 2, out: `hubbub token: ${JSON.stringify(name)} is not a valid name` };
  const loaded = loadConfig(env);
  if (loaded.ok !== true) return { code: 2, out: `hubbub token: ${loaded.ok === false ? loaded.error : "bad config"}` };
  if (!loaded.config.authSecret) return { code: 2, out: `hubbub token: AUTH_SECRET is not set\n${TOKEN_USAGE}` };
  const token = await mintToken(loaded.config.authSecret, sub, name, ttl, { audience: loaded.config.audience });
  return { code: 0, out: token };
}
