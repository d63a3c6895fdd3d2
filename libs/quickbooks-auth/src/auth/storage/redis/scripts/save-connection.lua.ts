import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, tenantIndex, refs, due. ARGV: member, realmId, then field/value pairs.
 * Connect or reconnect: the pairs carry the new tokens and reset status, failures, lease, the
 * in-flight record and lastErrorFingerprint. The generation is bumped so every holder of the old
 * tokens is fenced (I9).
 */
export const SAVE_CONNECTION_LUA = `${COMMON_LUA}
local now = now_ms()
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'createdAt', fmt(now), 'version', '0', 'lastRefreshedAt', '')
end
local pairs_ = {}
for i = 3, #ARGV do pairs_[#pairs_ + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(pairs_))
redis.call('HINCRBY', KEYS[1], 'leaseGeneration', 1)
touch(KEYS[1], now)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
reindex(KEYS[1], KEYS[4], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
