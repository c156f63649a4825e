#!lua flags=allow-oom
--[[
  Takes the leader lease if no one holds it (SET NX PX).

  On a full Redis (allow-oom): a plain SET is refused at maxmemory under noeviction, and a full
  Redis is exactly when a leader must be found, since only the bridge frees room. Bounded: one
  key of about 60 bytes, written only when absent.

  Input:
    KEYS[1] lease key
    ARGV[1] lease token of the caller
    ARGV[2] time to live, ms

  Output: 1 when taken, 0 when another holds it.
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
