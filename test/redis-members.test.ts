// The Redis member list: a hash (id → member) beside a sorted set of the ids, so a page (and a
// join's answer) reads the page, never the whole room, and the two stay in step through joins,
// renames, leaves and a node's release.
import { expect, it } from "bun:test";
import { redisKeys } from "../src/engine/redis-keys.ts";
import { RedisEngine } from "../src/engine/redis.ts";
import { silentLogger } from "../src/log.ts";
import type { Member } from "../src/shared/protocol.ts";
import { RecordingSink } from "./engine-contract.ts";
import { describeRedis, redisPerFile, uniquePrefix } from "./redis.ts";

const member = (i: number, name = `n${i}`): Member => ({ id: `id${String(i).padStart(4, "0")}`, name });

describeRedis("the Redis member list", () => {
  const shared = redisPerFile();

  async function node(prefix: string): Promise<RedisEngine & AsyncDisposable> {
    const engine = new RedisEngine({ url: shared.redis.url, prefix, historySize: 10, nodeTtlMs: 1000, log: silentLogger });
    await engine.start(new RecordingSink());
    return Object.assign(engine, { [Symbol.asyncDispose]: () => engine.close() });
  }

  /** Calls per command since the last CONFIG RESETSTAT (commands run by scripts included). */
  async function calls(): Promise<Record<string, number>> {
    const info = String(await shared.raw.send("INFO", ["commandstats"]));
    const out: Record<string, number> = {};
    for (const m of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
    return out;
  }

  it("pages a room of 300 without reading its whole hash", async () => {
    const prefix = uniquePrefix("members");
    await using a = await node(prefix);
    const all = Array.from({ length: 300 }, (_, i) => member(i));
    await Promise.all(all.map((m) => a.presence.join("hall", m)));
    await shared.raw.send("CONFIG", ["RESETSTAT"]);
    const first = await a.presence.page("hall", undefined, 2);
    expect(first).toEqual({ count: 300, users: all.slice(0, 2), next: all[1]!.id });
    const later = await a.presence.page("hall", all[296]!.id, 10);
    expect(later).toEqual({ count: 300, users: all.slice(297) });
    expect((await a.presence.page("hall", undefined, 0)).count).toBe(300);
    const used = await calls();
    for (const whole of ["hvals", "hgetall", "hkeys", "zrange", "smembers"]) expect(used[whole]).toBeUndefined();
    // Two pages, and the count alone (limit 0) reads no members at all.
    expect(used.zrangebylex).toBe(2);
    expect(used.hmget).toBe(2);
  });

  it("keeps the ids in step with the members through joins, renames, leaves and a node's release", async () => {
    const prefix = uniquePrefix("members");
    const k = redisKeys(prefix);
    const a = await node(prefix);
    await using b = await node(prefix);
    for (let i = 0; i < 6; i++) await (i % 2 ? a : b).presence.join("den", member(i));
    await a.presence.join("den", member(0)); // the same user from a second node
    await b.presence.join("den", member(2, "renamed"));
    await b.presence.leave("den", member(4));
    const inStep = async () => {
      const ids = (await shared.raw.send("ZRANGE", [k.roomMemberIds("den"), "0", "-1"])) as string[];
      const keys = ((await shared.raw.send("HKEYS", [k.roomMembers("den")])) as string[]).sort();
      expect(ids).toEqual(keys);
      return ids;
    };
    expect(await inStep()).toEqual([0, 1, 2, 3, 5].map((i) => member(i).id));
    expect((await b.presence.page("den", undefined, 10)).users).toContainEqual(member(2, "renamed"));
    await a.close();
    // a's members 1, 3 and 5 went with it; 0 stays, b holds it too.
    expect(await inStep()).toEqual([0, 2].map((i) => member(i).id));
  });
});
