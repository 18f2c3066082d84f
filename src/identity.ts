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
  const mac = hmacSha256(secret);
  const scratch = { buf: Buffer.alloc(MAX_RESUME_LENGTH) };
  return {
    issue({ id, name }, now = Date.now()) {
      const payload = base64url(JSON.stringify({ v: VERSION, id, name, iat: now }), scratch);
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
 * HMAC-SHA256 (RFC 2104) keyed once, computed with Bun's one-shot SHA-256 into buffers made once.
 * A token is made on every guest's welcome, so its cost is connect cost: a hasher object or a few
 * Buffers per call hold native memory until the collector gets to them, which the benchmark saw
 * as 0.4 KB of every idle connection's memory after a connect storm. The construction is the
 * standard one, checked against node:crypto in test/pure.test.ts. The returned digest is reused:
 * it is valid until the next call (callers encode or compare it at once).
 */
export function hmacSha256(key: Buffer | string): (message: string) => Buffer {
  const BLOCK = 64;
  let k = typeof key === "string" ? Buffer.from(key) : key;
  if (k.length > BLOCK) k = Buffer.from(Bun.SHA256.hash(k) as Uint8Array);
  const pad = (byte: number) => {
    const b = Buffer.alloc(BLOCK, byte);
    for (let i = 0; i < k.length; i++) b[i]! ^= k[i]!;
    return b;
  };
  const innerPad = pad(0x36);
  let inner = Buffer.concat([innerPad, Buffer.alloc(MAX_RESUME_LENGTH)]);
  const outer = Buffer.concat([pad(0x5c), Buffer.alloc(32)]);
  const innerDigest = outer.subarray(BLOCK);
  const digest = Buffer.alloc(32);
  return (message) => {
    const n = Buffer.byteLength(message);
    if (BLOCK + n > inner.length) inner = Buffer.concat([innerPad, Buffer.alloc(n)]);
    inner.write(message, BLOCK);
    Bun.SHA256.hash(inner.subarray(0, BLOCK + n), innerDigest);
    Bun.SHA256.hash(outer, digest);
    return digest;
  };
}

/** base64url of a string's UTF-8, through one buffer made once (the payload is encoded on every welcome). */
function base64url(text: string, scratch: { buf: Buffer }): string {
  const n = Buffer.byteLength(text);
  if (n > scratch.buf.length) scratch.buf = Buffer.alloc(n);
  scratch.buf.write(text);
  return scratch.buf.toString("base64url", 0, n);
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
