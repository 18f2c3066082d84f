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
 * KEYS: seq, epoch, history[, send key]. ARGV: channel, open envelope (gets
 * `"<epoch>","seq":<seq>}`), history size, new epoch, window (ms).
 */
export const publishScript = new Script(
  "publish",
  `if KEYS[4] then
  local seen = redis.call('GET', KEYS[4])
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
    redis.call('DEL', KEYS[3])
  else
    redis.call('PERSIST', KEYS[2])
  end
end
local envelope = ARGV[2] .. cjson.encode(epoch) .. ',"seq":' .. seq .. '}'
local cap = tonumber(ARGV[3])
if cap > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', cap, seq .. '-0', 'e', envelope)
end
redis.call('PUBLISH', ARGV[1], envelope)
if KEYS[4] then
  redis.call('SET', KEYS[4], envelope, 'PX', ARGV[5])
end
return {1, epoch, seq}`,
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
  entries = redis.call('XREVRANGE', KEYS[3], hi, lo, 'COUNT', ARGV[7])
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
