// Origin checking for the WebSocket upgrade (pure). Browsers always send Origin on a
// WebSocket handshake, so this is what stops another site's page from connecting as its
// visitor. Non-browser clients send none and are allowed.
import type { OriginPolicy } from "./config.ts";

export function isOriginAllowed(policy: OriginPolicy, origin: string | null, host: string | null): boolean {
  if (origin === null) return true;
  const o = origin.toLowerCase();
  switch (policy.kind) {
    case "any":
      return true;
    case "list":
      return policy.origins.has(o);
    case "same":
      return host !== null && hostOf(o) === host.toLowerCase();
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
