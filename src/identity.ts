// Guest identity: the resume token an anonymous user gets in `welcome.resume`, so a reload, a
// reconnect or a second tab is the same person (same user id, same name). The token is
// `<payload>.<mac>`, both base64url: the payload is JSON {v, id, name, iat}, the mac an
// HMAC-SHA256 of the payload under the server's guest secret. A token that fails any check —
// bad shape, wrong mac, too old — reads as null: the connection simply gets a fresh guest
// identity, never an error that keeps it from connecting.
//
// The secret comes from GUEST_SECRET, else from DATA_DIR/guest-secret (generated on first start
// and kept), else it is made per process (tokens then last until a restart) with one log line.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./log.ts";
import { normalizeName } from "./names.ts";

/** How long a resume token is honoured after it was issued; every welcome issues a fresh one. */
export const RESUME_TTL_MS = 30 * 24 * 3600 * 1000;
/** Longest resume token read at all. */
export const MAX_RESUME_LENGTH = 512;
/** Longest guest user id a token may carry. */
const MAX_GUEST_ID_LENGTH = 64;
const VERSION = 1;
const SECRET_FILE = "guest-secret";

export interface GuestIdentity {
  id: string;
  name: string;
}

export interface ResumeTokens {
  issue(who: GuestIdentity, now?: number): string;
  /** The identity a token carries, or null when it is forged, malformed or stale. */
  verify(token: string | null, now?: number): GuestIdentity | null;
}

export function createResumeTokens(secret: Buffer | string): ResumeTokens {
  // Bun's native HMAC: a token is made on every guest's welcome, so its cost is connect cost.
  const mac = (payload: string) => new Bun.CryptoHasher("sha256", secret).update(payload).digest() as Buffer;
  return {
    issue({ id, name }, now = Date.now()) {
      const payload = Buffer.from(JSON.stringify({ v: VERSION, id, name, iat: now })).toString("base64url");
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    verify(token, now = Date.now()) {
      if (!token || token.length > MAX_RESUME_LENGTH) return null;
      const dot = token.indexOf(".");
      if (dot <= 0) return null;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), "base64url");
      const want = mac(payload);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
      let p: unknown;
      try {
        p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return null;
      }
      const { v, id, name, iat } = (p ?? {}) as Record<string, unknown>;
      if (v !== VERSION || typeof id !== "string" || id.length === 0 || id.length > MAX_GUEST_ID_LENGTH) return null;
      if (typeof iat !== "number" || iat > now + 60_000 || now - iat > RESUME_TTL_MS) return null;
      const n = typeof name === "string" ? normalizeName(name) : null;
      return n === null ? null : { id, name: n };
    },
  };
}

/**
 * The guest secret: GUEST_SECRET when set; else the one kept in `dataDir` (created on first
 * use); else a per-process one. Never throws: a data directory that cannot be used costs
 * resumability across restarts, said in one log line, not the start-up.
 */
export function loadGuestSecret(configured: string, dataDir: string, log: Logger): Buffer | string {
  if (configured) return configured;
  if (dataDir) {
    const file = join(dataDir, SECRET_FILE);
    try {
      const kept = readFileSync(file, "utf8").trim();
      if (kept.length >= 32) return kept;
      log.warn("guest secret file is too short; making a new one", { file });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") log.warn("cannot read the guest secret; making a new one", { file, error: String(err) });
    }
    const fresh = randomBytes(32).toString("base64url");
    try {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, `${fresh}\n`, { mode: 0o600 });
      return fresh;
    } catch (err) {
      log.warn("cannot keep the guest secret: guests' resume tokens last until a restart", { file, error: String(err) });
      return fresh;
    }
  }
  log.info("no DATA_DIR or GUEST_SECRET: guests' resume tokens last until a restart");
  return randomBytes(32);
}
