// Chooses the Engine by configuration (ENGINE=memory|redis), and the single-node engine's stream
// store (STORE=sqlite|memory). The only place that knows them all.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Engine } from "./engine.ts";
import { MemoryEngine } from "./memory.ts";
import { MemoryStream } from "./memory-stream.ts";
import { RedisEngine } from "./redis.ts";
import { SqliteStream } from "./sqlite-stream.ts";
import type { StreamStore } from "./stream-store.ts";

/** Throws one line when the store cannot be opened (an unwritable or locked DATA_DIR, a newer database). */
export function createEngine(config: Config, log: Logger): Engine {
  switch (config.engine) {
    case "memory":
      return new MemoryEngine({ historySize: config.historySize, stream: createStream(config, log) });
    // With Redis, rooms live in Redis (docs/cluster.md): STORE does not apply.
    case "redis":
      return new RedisEngine({ url: config.redisUrl, prefix: config.redisPrefix, historySize: config.historySize, nodeTtlMs: config.nodeTtlMs, log });
    default: {
      const never: never = config.engine;
      return never;
    }
  }
}

/**
 * STORE=sqlite keeps rooms in DATA_DIR/hubbub.db; with DATA_DIR empty ("keep nothing") there is
 * nowhere to keep them, so they stay in memory, said in one line.
 */
export function createStream(config: Config, log: Logger): StreamStore {
  if (config.store === "sqlite" && config.dataDir) {
    return new SqliteStream({ dir: config.dataDir, retention: config.historyRetention, maxAgeMs: config.historyMaxAge, log });
  }
  if (config.store === "sqlite") log.info("DATA_DIR is empty: rooms are kept in memory only and lost on restart");
  return new MemoryStream(config.historySize);
}
