#!lua flags=allow-oom
--[[
  Extends the leader lease, only if the caller still holds it.

  On a full Redis (allow-oom): PEXPIRE grows nothing; without the flag a declared script would be
  refused at maxmemory and the leader would lose its lease while draining.

  Input:
    KEYS[1] lease key
    ARGV[1] lease token of the caller
    ARGV[2] new time to live, ms

  Output: 1 when renewed, 0 when the lease is someone else's or gone.
]]
local leaseKey = KEYS[1]
local token = ARGV[1]
local ttlMs = ARGV[2]

if redis.call('GET', leaseKey) == token then
  redis.call('PEXPIRE', leaseKey, ttlMs)
  return 1
end
return 0
