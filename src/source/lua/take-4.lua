--[[
  Moves up to ARGV[1] CDRs from the tail (oldest end) of the source list to the head of the
  processing list, in one atomic step, only while the caller holds the leader lease: a deposed
  leader cannot move anything (the fence of the reliable-list take).

  Input:
    KEYS[1] source list        (the dialler LPUSHes, so the oldest item is at the tail)
    KEYS[2] processing list    (items in flight; oldest at the tail, like the source)
    KEYS[3] lease key
    KEYS[4] in-flight-since key (server time in ms when the processing list last became non-empty)

    ARGV[1] most items to move
    ARGV[2] lease token of the caller

  Output: the moved items, oldest first, or the error NOTLEADER.
]]
local sourceKey = KEYS[1]
local processingKey = KEYS[2]
local leaseKey = KEYS[3]
local sinceKey = KEYS[4]
local maxItems = tonumber(ARGV[1])
local token = ARGV[2]

if redis.call('GET', leaseKey) ~= token then
  return redis.error_reply('NOTLEADER the lease is not held by this process')
end

local items = redis.call('RPOP', sourceKey, maxItems)
if not items then
  return {}
end
local now = redis.call('TIME')
redis.call('SET', sinceKey, now[1] * 1000 + math.floor(now[2] / 1000), 'NX')
-- unpack() is bounded by Lua's C stack (LUAI_MAXCSTACK = 8000), so push in chunks.
for i = 1, #items, 1000 do
  redis.call('LPUSH', processingKey, unpack(items, i, math.min(i + 999, #items)))
end
return items
