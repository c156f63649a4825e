#!lua flags=allow-oom
--[[
  Takes the leader lease even from a live holder (`replay --force`).

  On a full Redis (allow-oom): a plain SET is refused at maxmemory under noeviction. Bounded: one
  key of about 60 bytes, replacing the holder's token.

  Input:
    KEYS[1] lease key
    ARGV[1] lease token of the caller
    ARGV[2] time to live, ms

  Output: 1
]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
