#!lua flags=allow-oom
--[[
  Requeues dead letters: for each envelope given, removes exactly that envelope from the
  dead-letter list and RPUSHes its raw CDR onto the source list's tail, where the bridge
  takes next — removal and requeue in one atomic step, so a CDR is never in both lists and
  never in neither.

  The caller names envelopes by their exact bytes (not by index), so a list that changed
  since it was read cannot make this requeue the wrong one: an envelope no longer there is
  skipped, and its raw bytes are not pushed. The raw bytes come from the caller because
  the envelope keeps them in base64, which Redis's Lua cannot decode.

  On a full Redis (allow-oom): each requeue removes an envelope (the raw bytes twice, plus the
  reason) and adds the raw bytes once: it frees more than it adds.

  Input:
    KEYS[1] dead-letter list
    KEYS[2] source list

    ARGV    pairs: envelope (exact bytes as listed), its raw CDR bytes; given newest
            first, so the oldest ends nearest the tail and is taken first

  Output: how many were requeued
]]
local deadLetterKey = KEYS[1]
local sourceKey = KEYS[2]

local requeued = 0
for i = 1, #ARGV, 2 do
  -- Count 1 scans from the head, where the newest sit; requeueing the whole list
  -- newest first thus finds each envelope at once instead of walking the list.
  if redis.call('LREM', deadLetterKey, 1, ARGV[i]) == 1 then
    redis.call('RPUSH', sourceKey, ARGV[i + 1])
    requeued = requeued + 1
  end
end
return requeued
