#!lua flags=allow-oom
--[[
  Acknowledges every batch in flight up to sequence ARGV[2] once Kafka has committed them:
  drops their items from the processing list's tail (where the oldest batches sit) and pushes
  the dead-letter envelopes of their undecodable items — one atomic step, so an item is never
  in two lists and never in none.

  By position, not by payload: batches leave in the order they were taken, so the acked ones
  are exactly the tail's first N items (N = their counts). Nothing is sent back but the sequence.

  Idempotent: a batch already acked is no longer in the batches list, so a repeated call (a lost
  reply, a zombie's late ack) removes nothing and dead-letters nothing twice. Not fenced by the
  lease on purpose: Kafka has these items, so removing them is right whoever asks.

  On a full Redis (allow-oom): it must run, since acking is what frees memory. It removes every
  acked item and adds one envelope per dead letter among them. An envelope is about 2.4 times its
  CDR (text and base64) plus some 200 bytes and the reason, so one call adds at most the
  envelopes' extra bytes over their CDRs — bounded by the acked batches (one transaction, at most
  KAFKA_TRANSACTION_MAX_RECORDS items) — while every good CDR it removes frees its own bytes.
  Over a drain Redis stays above maxmemory only if those extra bytes outweigh the good CDRs
  removed (a backlog mostly undecodable); meanwhile the dialler's pushes are refused, and
  nothing is lost. Measured: 315 dead letters of 40,255 bytes held 161,696 bytes.

  Input:
    KEYS[1] processing list
    KEYS[2] dead-letter list
    KEYS[3] meta hash          (id of the processing list)
    KEYS[4] batches list

    ARGV[1] the processing list's id the batches were taken under (a list recreated since, e.g.
            after Redis lost its data, is never acked by an old position)
    ARGV[2] highest batch sequence Kafka has committed
    ARGV[3 ..] pairs: batch sequence, dead-letter envelope of one of its items

  Output: { removed, dead-lettered, length of the processing list afterwards }
]]
local processingKey = KEYS[1]
local deadLetterKey = KEYS[2]
local metaKey = KEYS[3]
local batchesKey = KEYS[4]
local upTo = tonumber(ARGV[2])

if redis.call('HGET', metaKey, 'id') ~= ARGV[1] then
  return { 0, 0, redis.call('LLEN', processingKey) }
end

local acked = {}
local count = 0
local length = redis.call('LLEN', processingKey)
while true do
  local oldest = redis.call('LINDEX', batchesKey, -1)
  if not oldest then break end
  local seq, n = string.match(oldest, '^(%d+) (%d+)')
  if tonumber(seq) > upTo then break end
  if count + tonumber(n) > length then
    return redis.error_reply('BATCHES the batches list counts more items than the processing list holds')
  end
  redis.call('RPOP', batchesKey)
  acked[seq] = true
  count = count + tonumber(n)
end

if count > 0 then
  redis.call('LTRIM', processingKey, 0, -count - 1)
end

local deadLettered = 0
for i = 3, #ARGV, 2 do
  if acked[ARGV[i]] then
    redis.call('LPUSH', deadLetterKey, ARGV[i + 1])
    deadLettered = deadLettered + 1
  end
end

return { count - deadLettered, deadLettered, length - count }
