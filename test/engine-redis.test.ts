// The Redis engine: the shared contract, then what only a cluster has (several engines on one
// Redis, malformed envelopes, dead nodes, lost connections).
import { afterAll, beforeAll } from "bun:test";
import { silentLogger } from "../src/log.ts";
import { RedisEngine } from "../src/engine/redis.ts";
import { engineContract } from "./engine-contract.ts";
import { describeRedis, startRedis, uniquePrefix, type RedisServer } from "./redis.ts";

describeRedis("RedisEngine", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  engineContract("redis", ({ historySize }) => new RedisEngine({ url: redis.url, prefix: uniquePrefix("contract"), historySize, nodeTtlMs: 1000, log: silentLogger }));
});
