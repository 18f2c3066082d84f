// Configuration: environment variables and equivalent --flags, validated in one place.
// Every default and unit is declared here, beside the setting, and applied only by loadConfig().
// Nothing else in the server reads process.env.
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseTtl } from "./auth.ts";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: (issue) => (issue.code === "invalid_type" ? "must be a number" : undefined) })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** One setting: its env name, the flag is derived (PORT → --port), its default and help text. */
interface Setting {
  env: string;
  schema: z.ZodType;
  default: string;
  help: string;
  /** A secret: its value never appears in an error message. */
  secret?: boolean;
}

/** 0/1 (or true/false, yes/no) → boolean. */
const bool = z.enum(["0", "1", "true", "false", "yes", "no"], "must be 0 or 1").transform((v) => v === "1" || v === "true" || v === "yes");
/** A port, or empty for "none". */
const optionalPort = z.union([z.literal("").transform(() => null), int(0, 65535)]);

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ENGINES = ["memory", "redis"] as const;
const STORES = ["sqlite", "memory"] as const;

/**
 * A duration such as 90s, 15m, 12h or 30d (plain numbers are seconds), as milliseconds. With
 * `unlimited`, an empty value or 0 is allowed too and means no limit (0).
 */
const duration = (unlimited: boolean) =>
  z.string().transform((raw, ctx) => {
    if (unlimited && (raw === "" || raw === "0")) return 0;
    const s = parseTtl(raw);
    if (s === null) {
      ctx.addIssue({ code: "custom", message: `must be a duration such as 90s, 15m, 12h or 30d${unlimited ? " (0 or empty = unlimited)" : ""}` });
      return z.NEVER;
    }
    return s * 1000;
  });

// ---- the server API and webhooks (docs/api.md) ----------------------------------------------

/** Webhook event types, for WEBHOOK_EVENTS (webhooks/events.ts defines their payloads). */
export const WEBHOOK_EVENT_TYPES = ["message.created", "message.edited", "message.deleted", "reaction.changed", "member.joined", "member.left", "user.connected", "user.disconnected"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A comma list of API keys (rotation: several may be valid at once), each 32+ characters. */
const apiKeys = z.string().transform((raw, ctx) => {
  const keys = raw.split(",").map((k) => k.trim()).filter(Boolean);
  if (keys.some((k) => k.length < 32)) {
    ctx.addIssue({ code: "custom", message: "each key must be at least 32 characters" });
    return z.NEVER;
  }
  return keys as readonly string[];
});
/** Empty, or an http(s) URL. */
const optionalUrl = z.union([z.literal(""), z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })]);
/** Empty, or a Standard Webhooks secret: `whsec_` and base64 of 24-64 bytes. */
const webhookSecret = z.union([
  z.literal(""),
  z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, "must be whsec_ followed by base64 of 24-64 random bytes (openssl rand -base64 32)"),
]);
/** A comma list of event types; empty = every type. */
const eventTypes = z.string().transform((raw, ctx) => {
  const types = raw.split(",").map((t) => t.trim()).filter(Boolean);
  const bad = types.find((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
  if (bad !== undefined) {
    ctx.addIssue({ code: "custom", message: `unknown event type ${JSON.stringify(bad)}; known: ${WEBHOOK_EVENT_TYPES.join(", ")}` });
    return z.NEVER;
  }
  return (types.length ? types : [...WEBHOOK_EVENT_TYPES]) as readonly WebhookEventType[];
});

const SETTINGS = {
  port: { env: "PORT", schema: int(0, 65535), default: "3000", help: "listen port (0 = any free port, logged at start)" },
  host: { env: "HOST", schema: z.string().min(1), default: "0.0.0.0", help: "listen address" },
  maxPayloadBytes: {
    env: "MAX_PAYLOAD_BYTES", schema: int(256, 16 * 1024 * 1024), default: "65536",
    help: "largest accepted frame in bytes; a bigger frame closes the connection with 1009",
  },
  maxTextLength: {
    env: "MAX_TEXT_LENGTH", schema: int(1, 16 * 1024 * 1024), default: "4000",
    help: "longest chat text, in Unicode code points",
  },
  rateLimit: {
    env: "RATE_LIMIT", schema: int(1, 1_000_000), default: "20",
    help: "chat/direct messages per second per connection (token bucket, burst 2x)",
  },
  slowConsumerBytes: {
    env: "SLOW_CONSUMER_BYTES", schema: int(1024), default: "1048576",
    help: "a connection whose unsent buffer exceeds this many bytes is evicted (4008)",
  },
  historySize: {
    env: "HISTORY_SIZE", schema: int(0, 100_000), default: "100",
    help: "entries kept per room in memory for history and recovery (STORE=memory, and the Redis engine)",
  },
  store: {
    env: "STORE", schema: z.enum(STORES), default: "sqlite",
    help: "where the single-node engine keeps rooms: sqlite (DATA_DIR/hubbub.db, survives restarts) or memory",
  },
  historyRetention: {
    env: "HISTORY_RETENTION", schema: int(0), default: "10000",
    help: "STORE=sqlite: messages kept per room, older ones trimmed in the background (0 = unlimited)",
  },
  historyMaxAge: {
    env: "HISTORY_MAX_AGE", schema: duration(true), default: "",
    help: "STORE=sqlite: entries older than this (e.g. 30d) are trimmed in the background; empty = kept",
  },
  presenceIntervalMs: {
    env: "PRESENCE_INTERVAL_MS", schema: int(1, 60_000), default: "50",
    help: "presence diffs per room are coalesced into at most one frame per this many ms",
  },
  batchMs: {
    env: "BATCH_MS", schema: int(0, 1000), default: "0",
    help: "clients that asked for batched frames get a room's frames joined per event-loop turn (0) or per this many ms",
  },
  presenceListMax: {
    env: "PRESENCE_LIST_MAX", schema: int(1, 10_000_000), default: "1000",
    help: "rooms with more members than this are large: a joiner gets the count and a first page, members get counts instead of per-user diffs",
  },
  largePresenceIntervalMs: {
    env: "LARGE_PRESENCE_INTERVAL_MS", schema: int(1, 60_000), default: "1000",
    help: "a large room's members get its member count at most once per this many ms, when it changed",
  },
  idleTimeoutS: {
    env: "IDLE_TIMEOUT_S", schema: int(1, 960), default: "60",
    help: "a peer silent this many seconds (no frames, no pong) is dropped; the server pings",
  },
  warmup: {
    env: "WARMUP", schema: int(0, 10_000), default: "1000",
    help: "synthetic connections two throwaway in-process servers take before this one listens, so the crowd reconnecting after a restart meets compiled code; 0 = off",
  },
  jitFtl: {
    env: "JIT_FTL", schema: bool, default: "0",
    help: "0 = the server re-executes itself once at start-up with BUN_JSC_useFTLJIT=0, so JavaScriptCore's top tier never compiles in the middle of a crowd (connect storms cost less; steady traffic read the same, bench/findings.md); 1 = FTL stays on",
  },
  shutdownTimeoutMs: {
    env: "SHUTDOWN_TIMEOUT_MS", schema: int(0, 600_000), default: "10000",
    help: "longest a graceful shutdown may take before the process exits anyway",
  },
  allowedOrigins: {
    env: "ALLOWED_ORIGINS", schema: z.string(), default: "",
    help: "comma list of browser origins allowed to connect, or *; empty = same origin only",
  },
  authSecret: {
    env: "AUTH_SECRET", schema: z.union([z.literal(""), z.string().min(32, "must be at least 32 characters")]), default: "", secret: true,
    help: "HS256 secret for JWTs; set = every connection needs a token (auth.ts); empty = anonymous names",
  },
  guestSecret: {
    env: "GUEST_SECRET", schema: z.union([z.literal(""), z.string().min(32, "must be at least 32 characters")]), default: "", secret: true,
    help: "HMAC secret of guests' resume tokens; empty = generated and kept in DATA_DIR (per process if it cannot be)",
  },
  dataDir: {
    env: "DATA_DIR", schema: z.string(), default: "./data",
    help: "directory for what the server keeps across restarts: hubbub.db, guest-secret (created if missing); empty = keep nothing",
  },
  anonRooms: {
    env: "ANON_ROOMS", schema: bool, default: "1",
    help: "0 = guests (no token) may join rooms that exist but not create new ones (docs/rooms.md)",
  },
  audience: { env: "AUDIENCE", schema: z.string(), default: "", help: "when set, tokens must carry this `aud`" },
  maxConnections: {
    env: "MAX_CONNECTIONS", schema: int(1), default: "10000",
    help: "open WebSockets this server holds at most; more get HTTP 503 before upgrading",
  },
  maxConnectionsPerIp: {
    env: "MAX_CONNECTIONS_PER_IP", schema: int(0), default: "0",
    help: "open WebSockets per client address (0 = unlimited); more get HTTP 503",
  },
  trustProxy: {
    env: "TRUST_PROXY", schema: bool, default: "0",
    help: "1 = take the client address from the last X-Forwarded-For entry (only behind your own proxy)",
  },
  ipRateLimit: {
    env: "IP_RATE_LIMIT", schema: int(0, 1_000_000), default: "0",
    help: "chat/direct messages per second from one client address, all its sockets together, burst 2x (0 = off)",
  },
  requestRateLimit: {
    env: "REQUEST_RATE_LIMIT", schema: int(1, 1_000_000), default: "20",
    help: "other requests (who, history, nick, ping) per second per connection (burst 2x)",
  },
  joinRateLimit: {
    env: "JOIN_RATE_LIMIT", schema: int(1, 1_000_000), default: "10",
    help: "joins and leaves per second per connection (burst 2x); stops presence storms",
  },
  compression: { env: "COMPRESSION", schema: bool, default: "0", help: "1 = permessage-deflate (inflated frames still capped by MAX_PAYLOAD_BYTES)" },
  metricsToken: {
    env: "METRICS_TOKEN", schema: z.string(), default: "", secret: true,
    help: "when set, /metrics needs `Authorization: Bearer <token>`",
  },
  metricsPort: {
    env: "METRICS_PORT", schema: optionalPort, default: "",
    help: "serve /metrics on this separate port (bound to HOST) instead of the main one; empty = main port",
  },
  logLevel: { env: "LOG_LEVEL", schema: z.enum(LOG_LEVELS), default: "info", help: "debug, info, warn or error (JSON lines on stdout)" },
  engine: {
    env: "ENGINE", schema: z.enum(ENGINES), default: "memory",
    help: "memory (one node, needs nothing) or redis (a cluster of nodes sharing one Redis)",
  },
  redisUrl: {
    env: "REDIS_URL", schema: z.string().regex(/^rediss?:\/\/\S+$/, "must be a redis:// or rediss:// URL"), default: "redis://127.0.0.1:6379",
    help: "the Redis the cluster shares (ENGINE=redis)",
  },
  redisPrefix: {
    env: "HUBBUB_PREFIX", schema: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, _ . or -"), default: "hubbub",
    help: "prefix of every Redis key and channel; clusters sharing a Redis need different ones",
  },
  nodeTtlMs: {
    env: "NODE_TTL_MS", schema: int(100, 600_000), default: "15000",
    help: "a node silent this long (ms) counts as dead: its users leave and its names free up",
  },
  // ---- server API and webhooks (docs/api.md)
  apiKey: {
    env: "API_KEY", schema: apiKeys, default: "", secret: true,
    help: "turns on the server API at /api/v1: one key, or a comma list during rotation, each 32+ characters",
  },
  apiRateLimit: {
    env: "API_RATE_LIMIT", schema: int(1, 1_000_000), default: "200",
    help: "server API requests per second per key (token bucket, burst 2x); more get 429",
  },
  webhookUrl: { env: "WEBHOOK_URL", schema: optionalUrl, default: "", help: "where events are POSTed in signed batches; empty = no webhooks" },
  webhookSecret: {
    env: "WEBHOOK_SECRET", schema: webhookSecret, default: "", secret: true,
    help: "Standard Webhooks signing secret (whsec_<base64>) for webhooks and the message hook",
  },
  webhookEvents: { env: "WEBHOOK_EVENTS", schema: eventTypes, default: "", help: "comma list of event types to send; empty = all" },
  webhookRetryForMs: {
    env: "WEBHOOK_RETRY_FOR", schema: duration(false), default: "1h",
    help: "how long a failing batch is retried (backoff with jitter) before it is dropped and counted",
  },
  webhookTimeoutMs: { env: "WEBHOOK_TIMEOUT_MS", schema: int(100, 120_000), default: "5000", help: "a webhook POST not answered in this many ms counts as failed" },
  webhookQueueSize: {
    env: "WEBHOOK_QUEUE_SIZE", schema: int(100, 100_000_000), default: "100000",
    help: "events kept waiting at most (in DATA_DIR/webhooks.db); past it the oldest are dropped and counted",
  },
  messageHookUrl: {
    env: "MESSAGE_HOOK_URL", schema: optionalUrl, default: "",
    help: "asked to allow, reject or replace every chat before it is published (needs WEBHOOK_SECRET); empty = off",
  },
  messageHookTimeoutMs: { env: "MESSAGE_HOOK_TIMEOUT_MS", schema: int(10, 60_000), default: "500", help: "the message hook's deadline in ms" },
  messageHookFail: {
    env: "MESSAGE_HOOK_FAIL", schema: z.enum(["open", "closed"]), default: "open",
    help: "when the hook fails or times out: open = publish the message as sent, closed = refuse it",
  },
} as const satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
type Key = keyof Settings;

/** Which browser origins may open a WebSocket: the page's own origin, a list, or any. */
export type OriginPolicy = { kind: "same" } | { kind: "any" } | { kind: "list"; origins: ReadonlySet<string> };

export type Config = Readonly<
  { [K in Exclude<Key, "allowedOrigins">]: z.output<Settings[K]["schema"]> } & { allowedOrigins: OriginPolicy }
>;

const flagOf = (env: string) => env.toLowerCase().replaceAll("_", "-");
const keys = Object.keys(SETTINGS) as Key[];

/** Every setting as documented: env name, flag and default (for docs and their tests). */
export const SETTING_DOCS: readonly { env: string; flag: string; default: string }[] = keys.map((k) => ({
  env: SETTINGS[k].env,
  flag: `--${flagOf(SETTINGS[k].env)}`,
  default: SETTINGS[k].default,
}));

export function parseOriginPolicy(raw: string): OriginPolicy {
  const items = raw.split(",").map((s) => s.trim().replace(/\/+$/, "").toLowerCase()).filter(Boolean);
  if (items.length === 0) return { kind: "same" };
  if (items.includes("*")) return { kind: "any" };
  return { kind: "list", origins: new Set(items) };
}

export type LoadResult = { ok: true; config: Config } | { ok: false; error: string } | { ok: "help"; text: string };

/**
 * Builds the Config from env and argv (flags win over env). Never throws: a bad value gives
 * one line naming the setting, which index.ts prints before exiting.
 */
export function loadConfig(env: Record<string, string | undefined>, argv: string[] = []): LoadResult {
  let flags: Record<string, string | boolean | undefined>;
  try {
    const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
    for (const k of keys) options[flagOf(SETTINGS[k].env)] = { type: "string" };
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return { ok: false, error: `invalid arguments: ${(err as Error).message}` };
  }
  if (flags.help) return { ok: "help", text: helpText() };

  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const s: Setting = SETTINGS[k];
    const flag = flagOf(s.env);
    const fromFlag = flags[flag];
    const raw = typeof fromFlag === "string" ? fromFlag : (env[s.env] ?? s.default);
    const parsed = s.schema.safeParse(raw.trim());
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? "invalid";
      const shown = s.secret ? "(secret, not shown)" : JSON.stringify(raw);
      return { ok: false, error: `invalid setting ${s.env} (--${flag}) = ${shown}: ${why}` };
    }
    out[k] = parsed.data;
  }
  // One port cannot carry both servers (0 means "any free port" for each, two different ones).
  if (out.metricsPort !== null && out.metricsPort !== 0 && out.metricsPort === out.port) {
    return { ok: false, error: `invalid setting METRICS_PORT (--metrics-port) = ${JSON.stringify(String(out.metricsPort))}: must differ from PORT` };
  }
  // Signed deliveries need their secret; an unsigned hook would let anyone forge Hubbub's calls.
  for (const [k, env] of [["webhookUrl", "WEBHOOK_URL (--webhook-url)"], ["messageHookUrl", "MESSAGE_HOOK_URL (--message-hook-url)"]] as const) {
    if (out[k] !== "" && out.webhookSecret === "") return { ok: false, error: `invalid setting ${env}: needs WEBHOOK_SECRET (--webhook-secret), whsec_<base64>` };
  }
  out.allowedOrigins = parseOriginPolicy(out.allowedOrigins as string);
  return { ok: true, config: Object.freeze(out) as Config };
}

/** The configuration with every default, plus overrides: for tests and embedding. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const r = loadConfig({});
  if (r.ok !== true) throw new Error("defaults must be valid");
  return Object.freeze({ ...r.config, ...overrides });
}

export function helpText(): string {
  const col = (values: string[]) => Math.max(...values.map((v) => v.length)) + 2;
  const flagW = col(keys.map((k) => `--${flagOf(SETTINGS[k].env)}`));
  const envW = col(keys.map((k) => SETTINGS[k].env));
  const defaultW = Math.max(10, col(keys.map((k) => SETTINGS[k].default)));
  const row = (flag: string, env: string, def: string, help: string) => `  ${flag.padEnd(flagW)}${env.padEnd(envW)}${def.padEnd(defaultW)}${help}`;
  return [
    "hubbub: a realtime chat hub native to Bun",
    "",
    "usage: hubbub [--flag value ...]   (every flag has an equivalent environment variable)",
    "       hubbub token <sub> <name> [--ttl 1h]   (mint a test token; needs AUTH_SECRET)",
    "       hubbub backup <file>   (copy DATA_DIR/hubbub.db to <file>, safe while the server runs)",
    "",
    row("flag", "env", "default", "meaning"),
    ...keys.map((k) => {
      const s: Setting = SETTINGS[k];
      return row(`--${flagOf(s.env)}`, s.env, s.default || '""', s.help);
    }),
    row("--help", "", "", "print this and exit"),
  ].join("\n");
}
