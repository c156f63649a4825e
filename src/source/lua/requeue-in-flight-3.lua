--[[
  Puts CDRs a dead bridge left in the processing list back on the source list, so the next
  bridge takes them next, oldest first. Moves up to ARGV[1] items per call, atomically: an
  item is always in exactly one of the two lists. The caller repeats until none are left.

  Why LPOP from the head, not RPOP from the tail: both lists keep their oldest item at the
  tail, and the bridge takes from the source's tail. RPUSHing the newest first leaves the
  oldest at the very tail, so it is taken first; and since each later call moves older
  items than the one before, they land nearer the tail still, so the order holds across
  calls too. Items the dialler pushed meanwhile stay behind them, at the head end.

  Input:
    KEYS[1] processing list
    KEYS[2] source list
    KEYS[3] in-flight-since key (deleted when the processing list empties, as ack does)

    ARGV[1] most items to move in this call

  Output: { moved, length of the processing list afterwards }
]]
local processingKey = KEYS[1]
local sourceKey = KEYS[2]
local sinceKey = KEYS[3]
local maxItems = tonumber(ARGV[1])

local moved = 0
local items = redis.call('LPOP', processingKey, maxItems)
if items then
  moved = #items
  -- unpack() is bounded by Lua's C stack (LUAI_MAXCSTACK = 8000), so push in chunks.
  for i = 1, #items, 1000 do
    redis.call('RPUSH', sourceKey, unpack(items, i, math.min(i + 999, #items)))
  end
end

local remaining = redis.call('LLEN', processingKey)
if remaining == 0 then
  redis.call('DEL', sinceKey)
end
return { moved, remaining }
