#!lua flags=allow-oom
--[[
  Makes the batches list describe the processing list again, before a leader settles what is
  in flight. Items with no batch record (a version before batch records left them, or someone
  edited the lists by hand) cannot be matched against Kafka's committed position, so they go
  back to the source's tail, oldest last, to be taken again as a new batch. If the records count
  more items than the list holds, the records are wrong: all of them are dropped and every item
  goes back the same way. Nothing is lost either way; an item Kafka already had may be sent again.

  On a full Redis (allow-oom): it only moves items back to the source list (net zero) or drops
  batch records, so a new leader can settle what is in flight while Redis is full.

  Input:
    KEYS[1] processing list
    KEYS[2] source list
    KEYS[3] batches list

  Output: { items moved back to the source, batch records dropped }
]]
local processingKey = KEYS[1]
local sourceKey = KEYS[2]
local batchesKey = KEYS[3]

local recorded = 0
local records = redis.call('LRANGE', batchesKey, 0, -1)
for i = 1, #records do
  recorded = recorded + tonumber(string.match(records[i], '^%d+ (%d+)'))
end
local length = redis.call('LLEN', processingKey)
local dropped = 0
if recorded > length then
  redis.call('DEL', batchesKey)
  dropped = #records
  recorded = 0
end
local extra = length - recorded
if extra == 0 then
  return { 0, dropped }
end
-- The unrecorded items are the oldest, at the tail: RPOP yields them oldest first, and pushing
-- the newest first onto the source's tail leaves the oldest at its very end.
local items = redis.call('RPOP', processingKey, extra)
for i = #items, 1, -1 do
  redis.call('RPUSH', sourceKey, items[i])
end
return { #items, dropped }
