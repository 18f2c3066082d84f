// The scripts of a room's message stream: publish, position and reads. A room's seq, epoch and
// history live in three keys (redis-keys.ts) that only these scripts touch, so each answer is
// one consistent view of them: a seq is assigned, stored and published in one step (every
// subscriber sees a room's messages in seq order), and a read returns the seq and epoch its
// messages belong to.
//
// Epochs. A room's epoch is a random string, created (SET NX) by whichever script first finds it
// missing: the first publish, or a read of a room that never had a message. Redis losing its
// data loses the epoch with the seq, so the numbering that restarts at 1 comes with a new
// epoch, and a client's `since` from before is known to mean nothing. Within an epoch seqs
// never repeat: the one case where the seq could go without the epoch (the key evicted or
// deleted on its own) is caught by the publish script, which starts a new epoch then. An epoch
// made by a read expires while the room has no message, so reading made-up rooms leaves
// nothing lasting; the room's first publish makes it permanent.
import { Script } from "./redis-scripts.ts";

/** Forgets the ids and changes of messages below the kept seqs (`seq` and `cap` set). KEYS[4]: ids, KEYS[5]: changes. */
const INDEX_AND_TRIM = `local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', seq - cap)
  if #gone > 0 then
    redis.call('HDEL', KEYS[5], unpack(gone))
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', seq - cap)
  end`;

/** Makes the room's epoch if it is missing; sets `seq` and `epoch`. KEYS: seq, epoch. ARGV[1]: new epoch, ARGV[2]: TTL while empty (ms). */
const POSITION = `local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
if seq == 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2])
else
  redis.call('SET', KEYS[2], ARGV[1], 'NX')
end
local epoch = redis.call('GET', KEYS[2])`;

/**
 * Publishes one message. With a SendKey (KEYS[4]) already seen, publishes nothing and returns
 * {0, the envelope it published then}. Otherwise assigns the room's next seq (making its epoch
 * if missing), stores the envelope in the capped history stream under id `<seq>-0`, publishes
 * it, remembers it under the SendKey for `window` ms, and returns {1, epoch, seq}.
 * It also indexes the message id (for edits, deletes and reactions) and forgets the ids, and the
 * changes, of messages that fell out of the kept history.
 * KEYS: seq, epoch, history, ids, changes[, send key]. ARGV: channel, open envelope (gets
 * `"<epoch>","seq":<seq>}`), history size, new epoch, window (ms), message id.
 */
export const publishScript = new Script(
  "publish",
  `if KEYS[6] then
  local seen = redis.call('GET', KEYS[6])
  if seen then return {0, seen} end
end
-- A read, not a write, on every message: the epoch is made only when missing (a script is atomic).
local epoch = redis.call('GET', KEYS[2])
local created = false
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[2], epoch)
  created = true
end
local seq = redis.call('INCR', KEYS[1])
if seq == 1 and not created then
  if redis.call('PTTL', KEYS[2]) == -1 then
    -- A permanent epoch means this numbering had messages: the seq was lost without the epoch.
    epoch = ARGV[4]
    redis.call('SET', KEYS[2], epoch)
    redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  else
    redis.call('PERSIST', KEYS[2])
  end
end
local envelope = ARGV[2] .. cjson.encode(epoch) .. ',"seq":' .. seq .. '}'
local cap = tonumber(ARGV[3])
if cap > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', cap, seq .. '-0', 'e', envelope)
  ${INDEX_AND_TRIM}
  redis.call('ZADD', KEYS[4], seq, ARGV[6])
end
redis.call('PUBLISH', ARGV[1], envelope)
if KEYS[6] then
  redis.call('SET', KEYS[6], envelope, 'PX', ARGV[5])
end
return {1, epoch, seq}`,
);

/**
 * Applies a change to a kept message. Returns {0} when the room keeps no such message (or it
 * was deleted), {2} for a reaction that is already so (nothing happens), else stores the new
 * state, appends and publishes the event as the room's next seq, and returns {1, epoch, seq}.
 * The deleted message's text stays in its stream entry until that is trimmed (a stream entry
 * cannot be rewritten); every read shows the tombstone.
 * KEYS: seq, epoch, history, ids, changes. ARGV: channel, open envelope, history size, message
 * id, kind (edit | delete | react), user id, emoji, on (1 | 0), text, ts.
 */
export const applyScript = new Script(
  "apply",
  `if not redis.call('ZSCORE', KEYS[4], ARGV[4]) then return {0} end
local raw = redis.call('HGET', KEYS[5], ARGV[4])
local s = raw and cjson.decode(raw) or {}
if s.deleted then return {0} end
if ARGV[5] == 'react' then
  local r = s.reactions or {}
  local list = r[ARGV[7]] or {}
  local at = nil
  for i, u in ipairs(list) do if u == ARGV[6] then at = i end end
  local on = ARGV[8] == '1'
  if (at ~= nil) == on then return {2} end
  if on then table.insert(list, ARGV[6]) else table.remove(list, at) end
  if #list == 0 then r[ARGV[7]] = nil else r[ARGV[7]] = list end
  if next(r) == nil then s.reactions = nil else s.reactions = r end
elseif ARGV[5] == 'edit' then
  s.text = ARGV[9]
  s.edited = tonumber(ARGV[10])
else
  s = {deleted = true}
end
redis.call('HSET', KEYS[5], ARGV[4], cjson.encode(s))
local seq = redis.call('INCR', KEYS[1])
local epoch = redis.call('GET', KEYS[2])
local envelope = ARGV[2] .. cjson.encode(epoch) .. ',"seq":' .. seq .. '}'
local cap = tonumber(ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', cap, seq .. '-0', 'e', envelope)
${INDEX_AND_TRIM}
redis.call('PUBLISH', ARGV[1], envelope)
return {1, epoch, seq}`,
);

/**
 * The kept message `id`: {envelope, state JSON or false}, or {} when the room keeps none.
 * KEYS: history, ids, changes. ARGV: message id.
 */
export const messageScript = new Script(
  "message",
  `local seq = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not seq then return {} end
local e = redis.call('XRANGE', KEYS[1], seq .. '-0', seq .. '-0')
if #e == 0 then return {} end
return {e[1][2][2], redis.call('HGET', KEYS[3], ARGV[1])}`,
);

/** The room's latest seq (0 before its first message) and epoch: {seq, epoch}. KEYS: seq, epoch. ARGV: new epoch, TTL while empty (ms). */
export const positionScript = new Script(
  "position",
  `${POSITION}
return {seq, epoch}`,
);

/**
 * Reads kept messages: returns {seq, epoch, entries}. Kept are the last `cap` seqs (the stream
 * is trimmed approximately, so it may hold a few more; they do not count). `asc`: up to `count`
 * entries with `after` < seq <= `until` (no bound when ''), oldest first; when `expect` is given
 * and is not the room's epoch, `after` and `until` belong to another numbering and every kept
 * entry qualifies. `desc`: up to `count` entries with seq < `before` ('' for none), newest first.
 * KEYS: seq, epoch, history. ARGV: new epoch, TTL while empty (ms), cap, direction, after or
 * before, until, count, expect.
 */
export const readScript = new Script(
  "read",
  `${POSITION}
local cap = tonumber(ARGV[3])
if cap <= 0 or seq == 0 then return {seq, epoch, {}} end
local lo = math.max(1, seq - cap + 1)
local hi = seq
local entries
if ARGV[4] == 'desc' then
  if ARGV[5] ~= '' then hi = math.min(hi, tonumber(ARGV[5]) - 1) end
  if hi < lo then return {seq, epoch, {}} end
  -- Backwards (scrollback) reads messages only: changes are skipped, chunk by chunk.
  entries = {}
  local want = tonumber(ARGV[7])
  while #entries < want and hi >= lo do
    local chunk = redis.call('XREVRANGE', KEYS[3], hi, lo, 'COUNT', want)
    if #chunk == 0 then break end
    for _, e in ipairs(chunk) do
      local env = e[2][2]
      local at = string.find(env, '"type":"event"', 1, true)
      if not at or at > 100 then
        if #entries < want then table.insert(entries, e) end
      end
    end
    hi = tonumber(string.match(chunk[#chunk][1], '^(%d+)')) - 1
  end
else
  if ARGV[8] == '' or ARGV[8] == epoch then
    if ARGV[5] ~= '' then lo = math.max(lo, tonumber(ARGV[5]) + 1) end
    if ARGV[6] ~= '' then hi = math.min(hi, tonumber(ARGV[6])) end
  end
  if hi < lo then return {seq, epoch, {}} end
  entries = redis.call('XRANGE', KEYS[3], lo, hi, 'COUNT', ARGV[7])
end
return {seq, epoch, entries}`,
);
