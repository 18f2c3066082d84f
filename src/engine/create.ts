// Chooses the Engine by configuration (ENGINE=memory|redis). The only place that knows both.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Engine } from "./engine.ts";
import { MemoryEngine } from "./memory.ts";
import { RedisEngine } from "./redis.ts";

export function createEngine(config: Config, log: Logger): Engine {
  switch (config.engine) {
    case "memory":
      return new MemoryEngine({ historySize: config.historySize });
    case "redis":
      return new RedisEngine({ url: config.redisUrl, prefix: config.redisPrefix, historySize: config.historySize, nodeTtlMs: config.nodeTtlMs, log });
    default: {
      const never: never = config.engine;
      return never;
    }
  }
}
