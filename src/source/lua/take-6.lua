#!lua flags=allow-oom
--[[
  Takes the next batch: moves up to ARGV[1] CDRs, oldest first, into the processing list and
  records them as one batch with a sequence number — in one atomic step, and only while the
  caller holds the leader lease (the fence of every take, blocking or not).

  Items come first from the landing list (where a blocking BLMOVE on the source put them: they
  were the source's oldest), then from the source's tail. The batch record ("seq count takenAtMs")
  goes to the head of the batches list; batches sit in the processing list in the same order,
  oldest at the tail. The sequence is what the bridge commits to Kafka in the same transaction
  as the batch's records, so a new leader knows exactly which in-flight batches Kafka has.

  On a full Redis (allow-oom): it only moves items between lists (net zero) and adds one batch
  record of about 30 bytes and the meta counter: bounded, and what lets a full Redis drain.

  Input:
    KEYS[1] source list        (the dialler LPUSHes, so the oldest item is at the tail)
    KEYS[2] landing list       (BLMOVE's destination; only this script moves items on from it)
    KEYS[3] processing list    (items in flight; oldest at the tail, like the source)
    KEYS[4] lease key
    KEYS[5] meta hash          (id: this processing list's identity; seq: the last batch's number)
    KEYS[6] batches list       ("seq count takenAtMs" per batch in flight, oldest at the tail)

    ARGV[1] most items to move
    ARGV[2] lease token of the caller
    ARGV[3] an id for the processing list, used only if it has none yet

  Output: { seq, list id, items oldest first, takenAtMs }, or {} when nothing waits, or the error
  NOTLEADER. takenAtMs is Redis's TIME, the same as in the batch record: a CDR's received_at
  is the same whether this take's leader publishes it or a later one settles it.
]]
local sourceKey = KEYS[1]
local landingKey = KEYS[2]
local processingKey = KEYS[3]
local leaseKey = KEYS[4]
local metaKey = KEYS[5]
local batchesKey = KEYS[6]
local maxItems = tonumber(ARGV[1])
local token = ARGV[2]

if redis.call('GET', leaseKey) ~= token then
  return redis.error_reply('NOTLEADER the lease is not held by this process')
end

local items = redis.call('RPOP', landingKey, maxItems) or {}
if #items < maxItems then
  local more = redis.call('RPOP', sourceKey, maxItems - #items)
  if more then
    for i = 1, #more do items[#items + 1] = more[i] end
  end
end
if #items == 0 then
  return {}
end

redis.call('HSETNX', metaKey, 'id', ARGV[3])
local seq = redis.call('HINCRBY', metaKey, 'seq', 1)
local id = redis.call('HGET', metaKey, 'id')
local now = redis.call('TIME')
local takenAt = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('LPUSH', batchesKey, seq .. ' ' .. #items .. ' ' .. takenAt)
-- unpack() is bounded by Lua's C stack (LUAI_MAXCSTACK = 8000), so push in chunks.
for i = 1, #items, 1000 do
  redis.call('LPUSH', processingKey, unpack(items, i, math.min(i + 999, #items)))
end
return { seq, id, items, takenAt }
