#!lua flags=allow-oom
--[[
  Gives the leader lease up at a clean shutdown, so a standby takes over at once instead of
  waiting for the lease to expire. Only the holder's token releases it.

  On a full Redis (allow-oom): DEL only frees.

  Input:
    KEYS[1] lease key
    ARGV[1] lease token of the caller

  Output: 1 when released, 0 when it was not ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
