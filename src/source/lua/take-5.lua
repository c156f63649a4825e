--[[
  Moves up to ARGV[1] CDRs from the tail (oldest end) of the source list to the head of the
  processing list, in one atomic step, only while the caller holds the leader lease: a deposed
  leader cannot move anything (the fence of the reliable-list take).

  Input:
    KEYS[1] source list        (the dialler LPUSHes, so the oldest item is at the tail)
    KEYS[2] processing list    (items in flight; oldest at the tail, like the source)
    KEYS[3] lease key
    KEYS[4] in-flight-since key (server time in ms when the processing list last became non-empty)
    KEYS[5] take-times list    ("<ms> <sha1 of the batch's oldest item>" per take, newest at the
                                head: so `status` can tell the age of the oldest item in flight)

    ARGV[1] most items to move
    ARGV[2] lease token of the caller
    ARGV[3] items of this batch a BLMOVE already moved (0 or 1): counted in its take time

  Output: the moved items, oldest first, or the error NOTLEADER.
]]
local sourceKey = KEYS[1]
local processingKey = KEYS[2]
local leaseKey = KEYS[3]
local sinceKey = KEYS[4]
local takesKey = KEYS[5]
local maxItems = tonumber(ARGV[1])
local token = ARGV[2]
local alreadyMoved = tonumber(ARGV[3] or '0')

-- Enough take records for every batch in flight (the bridge holds two or three, plus strays).
local MAX_TAKE_RECORDS = 100

if redis.call('GET', leaseKey) ~= token then
  return redis.error_reply('NOTLEADER the lease is not held by this process')
end

local items = {}
if maxItems > 0 then
  items = redis.call('RPOP', sourceKey, maxItems) or {}
end
if #items + alreadyMoved == 0 then
  return {}
end
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('SET', sinceKey, nowMs, 'NX')
-- unpack() is bounded by Lua's C stack (LUAI_MAXCSTACK = 8000), so push in chunks.
for i = 1, #items, 1000 do
  redis.call('LPUSH', processingKey, unpack(items, i, math.min(i + 999, #items)))
end

-- Record this take by the digest of its oldest item, and forget the records of takes older
-- than the processing list's oldest item (the tail): their items have all left it. So the
-- record whose digest is the tail's tells since when the oldest item has been in flight, even
-- when newer batches were acked before it (a stray).
local oldestOfBatch = redis.call('LINDEX', processingKey, #items + alreadyMoved - 1)
if not oldestOfBatch then
  return items -- the BLMOVEd item left meanwhile (a replay): nothing to record
end
redis.call('LPUSH', takesKey, nowMs .. ' ' .. redis.sha1hex(oldestOfBatch))
local tailDigest = redis.sha1hex(redis.call('LINDEX', processingKey, -1))
local records = redis.call('LRANGE', takesKey, 0, MAX_TAKE_RECORDS - 1)
local keep = #records
for i = 1, #records do
  if string.sub(records[i], -40) == tailDigest then
    keep = i
    break
  end
end
redis.call('LTRIM', takesKey, 0, keep - 1)
return items
