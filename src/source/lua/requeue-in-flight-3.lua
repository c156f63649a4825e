#!lua flags=allow-oom
--[[
  Puts CDRs left in the processing list back on the source list, so the next bridge takes them
  next, oldest first. Moves whole batches (with their batch records) up to about ARGV[1] items per
  call, atomically: an item is always in exactly one of the two lists, and the batches list
  always describes the processing list. The caller repeats until none are left.

  Why from the head, not the tail: both lists keep their oldest item at the tail, and the bridge
  takes from the source's tail. The newest batch sits at the processing list's head; RPUSHing
  its newest item first leaves its oldest at the very tail of the source, and each later call
  moves older items, which land nearer the tail still, so the order holds across calls too.
  Items the dialler pushed meanwhile stay behind them, at the head end. Items with no batch
  record (left by a version before batch records) are at the tail and go last, the same way.

  On a full Redis (allow-oom): it only moves items and drops batch records (net zero or less).

  Input:
    KEYS[1] processing list
    KEYS[2] source list
    KEYS[3] batches list ("seq count takenAtMs", newest at the head)

    ARGV[1] most items to move in this call (a larger batch still moves whole)

  Output: { moved, length of the processing list afterwards }
]]
local processingKey = KEYS[1]
local sourceKey = KEYS[2]
local batchesKey = KEYS[3]
local maxItems = tonumber(ARGV[1])

local moved = 0
while moved < maxItems do
  local newest = redis.call('LINDEX', batchesKey, 0)
  local n
  if newest then
    n = tonumber(string.match(newest, '^%d+ (%d+)'))
  else
    n = math.min(maxItems - moved, redis.call('LLEN', processingKey))
  end
  if n == 0 then break end
  local items = redis.call('LPOP', processingKey, n)
  if not items then break end
  if newest then redis.call('LPOP', batchesKey) end
  for i = 1, #items, 1000 do
    redis.call('RPUSH', sourceKey, unpack(items, i, math.min(i + 999, #items)))
  end
  moved = moved + #items
end

local remaining = redis.call('LLEN', processingKey)
if remaining == 0 then
  redis.call('DEL', batchesKey)
end
return { moved, remaining }
