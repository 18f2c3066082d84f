// API keys: `Authorization: Bearer <key>`, checked against every configured key (API_KEY holds
// several during a rotation) in constant time. Both sides are hashed first, so the comparison
// is of equal lengths and leaks neither a key's length nor how much of it matched; every key is
// compared, so which one matched does not show in the time either. Nothing here logs the key.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string) => createHash("sha256").update(s).digest();

export type KeyCheck = { ok: true; key: number } | { ok: false; reason: "missing" | "malformed" | "wrong" };

export function createKeyCheck(keys: readonly string[]): (authorization: string | null) => KeyCheck {
  const expected = keys.map(digest);
  return (authorization) => {
    if (authorization === null || authorization === "") return { ok: false, reason: "missing" };
    const m = /^Bearer +(\S+) *$/i.exec(authorization);
    if (!m) return { ok: false, reason: "malformed" };
    const got = digest(m[1]!);
    let found = -1;
    for (let i = 0; i < expected.length; i++) if (timingSafeEqual(got, expected[i]!) && found < 0) found = i;
    return found >= 0 ? { ok: true, key: found } : { ok: false, reason: "wrong" };
  };
}
