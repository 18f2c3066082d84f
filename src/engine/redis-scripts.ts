// The Lua scripts behind the Redis engine, and how they run. Each runs atomically inside Redis,
// which is what makes the cluster's guarantees hold: a membership change and its presence
// envelope are one step, a name claim cannot race another node's claim, and a dead node's
// share goes in one step. The scripts of a room's message stream (publish, position, reads)
// are in redis-stream-scripts.ts. Key names always come from redis-keys.ts (passed in KEYS or
// ARGV); no script builds one.
//
// Runs as EVALSHA, falling back to EVAL once when Redis does not know the script (after a
// Redis restart its script cache is empty).

/** Sends one command (the engine's client, counted). */
export type Send = (command: string, args: string[]) => Promise<unknown>;

export class Script {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  async run(send: Send, keys: string[], args: (string | number)[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await send("EVALSHA", [this.sha, ...rest]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      return send("EVAL", [this.source, ...rest]);
    }
  }
}

/**
 * Takes a room off the rooms index if it has no members (a listing found a stray). KEYS: rooms
 * index, room members. ARGV: room. Returns 1 when it was taken off.
 */
export const pruneRoomScript = new Script(
  "prune-room",
  `if redis.call('HLEN', KEYS[2]) > 0 then
  return 0
end
return redis.call('ZREM', KEYS[1], ARGV[1])`,
);

/**
 * One page of a room's members, read atomically: {count, ids, member JSONs}. Work grows with the
 * page, not the room (ZRANGEBYLEX over the ids, HMGET of those). KEYS: room members, room member
 * ids. ARGV: the ZRANGEBYLEX start ("-" or "(<id>"), how many ids (0: the count only).
 */
export const memberPageScript = new Script(
  "member-page",
  `local count = redis.call('HLEN', KEYS[1])
local n = tonumber(ARGV[2])
if n <= 0 then
  return {count, {}, {}}
end
local ids = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], '+', 'LIMIT', 0, n)
if #ids == 0 then
  return {count, {}, {}}
end
return {count, ids, redis.call('HMGET', KEYS[1], unpack(ids))}`,
);

/** Redis's clock in ms, so node deadlines do not depend on each node's clock. */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * This node now holds a member in the room: counts the node in, stores the member, and
 * publishes the join when it changed what the cluster sees (a new member, or a new name).
 * KEYS: room members, node's room set, node's rooms, room refs, rooms index, room member ids.
 * ARGV: id, member JSON, room, channel, join envelope.
 */
export const joinScript = new Script(
  "join",
  `if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[4], ARGV[1], 1)
end
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[5], 0, ARGV[3])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[6], 0, ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`,
);

/**
 * This node no longer holds a member in the room: counts the node out and, when it was the
 * last node holding the member, removes it and publishes the leave (built from the member
 * JSON Redis held), and takes an emptied room off the rooms index. KEYS: room members, node's
 * room set, node's rooms, room refs, rooms index, room member ids. ARGV: id, room, channel, open
 * leaves envelope.
 */
export const leaveScript = new Script(
  "leave",
  `if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then
  return 0
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[2])
end
if redis.call('HINCRBY', KEYS[4], ARGV[1], -1) > 0 then
  return 0
end
redis.call('HDEL', KEYS[4], ARGV[1])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[5], ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4] .. old .. ']}')
return 1`,
);

/**
 * Claims a name key for a member unless another member holds it; the same member may hold it
 * from several nodes. Returns 1 or 0. KEYS: names, node's names, name refs, user names. ARGV:
 * name key, member id, member JSON.
 */
export const claimScript = new Script(
  "claim",
  `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur).id ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
end
return 1`,
);

/**
 * This node lets go of a name key its member held; the name is free once no node holds it.
 * A key nobody holds any more is only dropped from the node's set. KEYS: names, node's names,
 * name refs, user names. ARGV: name key, member id.
 */
export const releaseScript = new Script(
  "release",
  `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
if cjson.decode(cur).id ~= ARGV[2] or redis.call('SREM', KEYS[2], ARGV[1]) == 0 then
  return 0
end
if redis.call('HINCRBY', KEYS[3], ARGV[1], -1) > 0 then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[4], ARGV[2]) == ARGV[1] then
  redis.call('HDEL', KEYS[4], ARGV[2])
end
return 1`,
);

/**
 * A node's heartbeat: pushes its deadline to now + alive ms and returns {1 if the node was
 * not registered (new, reaped while silent, or Redis lost its data), the ids of nodes whose
 * deadline passed}. KEYS: nodes. ARGV: node id, alive ms.
 */
export const beatScript = new Script(
  "beat",
  `${NOW_MS}
local fresh = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return {fresh, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)}`,
);

/**
 * Removes everything a node holds: counts it out of each listed room (a member no other node
 * holds is removed, with one presence envelope of leaves per room) and out of its names, then
 * drops its bookkeeping and registration. Unless forced (a node releasing itself at shutdown)
 * it does nothing when the node is registered with a deadline still ahead (it came back) or
 * not registered (someone else reaped it already). The rooms come from the node's room set
 * read just before; if the set still holds others afterwards the node stays registered and
 * the next heartbeat reaps the rest. Returns the number of members removed, or -1.
 * KEYS: nodes, node's rooms, node's names, names, name refs, then per room: node's room set,
 * room members, room refs, room member ids. ARGV: node id, force (1/0), then per room: room, channel, open
 * leaves envelope.
 */
export const reapScript = new Script(
  "reap",
  `local node = ARGV[1]
if ARGV[2] ~= '1' then
  local deadline = redis.call('ZSCORE', KEYS[1], node)
  if not deadline then return -1 end
  ${NOW_MS.replaceAll("\n", "\n  ")}
  if tonumber(deadline) >= now then return -1 end
end
local removed = 0
for i = 1, (#KEYS - 5) / 4 do
  local own, members, refs, ids = KEYS[4 * i + 2], KEYS[4 * i + 3], KEYS[4 * i + 4], KEYS[4 * i + 5]
  local left = {}
  for _, id in ipairs(redis.call('SMEMBERS', own)) do
    if redis.call('HINCRBY', refs, id, -1) <= 0 then
      redis.call('HDEL', refs, id)
      local m = redis.call('HGET', members, id)
      if m then
        redis.call('HDEL', members, id)
        redis.call('ZREM', ids, id)
        left[#left + 1] = m
      end
    end
  end
  redis.call('DEL', own)
  redis.call('SREM', KEYS[2], ARGV[3 * i])
  if #left > 0 then
    redis.call('PUBLISH', ARGV[3 * i + 1], ARGV[3 * i + 2] .. table.concat(left, ',') .. ']}')
    removed = removed + #left
  end
end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if redis.call('HINCRBY', KEYS[5], key, -1) <= 0 then
    redis.call('HDEL', KEYS[5], key)
    redis.call('HDEL', KEYS[4], key)
  end
end
redis.call('DEL', KEYS[3])
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], node)
end
return removed`,
);

/**
 * A direct message: both copies PUBLISHed on the direct channel in one step, unless its SendKey
 * was seen in the idempotency window. KEYS: the SendKey's direct key (none for a send without
 * one). ARGV: the direct channel, the window (ms), the sender's envelope (what the key keeps),
 * the recipient's envelope ("" for none). Returns the envelope the key kept when it was seen.
 */
export const directScript = new Script(
  "direct",
  `if #KEYS == 1 then
  local seen = redis.call('SET', KEYS[1], ARGV[3], 'NX', 'GET', 'PX', ARGV[2])
  if seen then
    return seen
  end
end
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[1], ARGV[4])
end
redis.call('PUBLISH', ARGV[1], ARGV[3])
return false`,
);
