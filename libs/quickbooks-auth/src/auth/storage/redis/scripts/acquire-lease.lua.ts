import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, ttlMs. Returns the row under the new lease (generation
 * bumped: every acquisition fences the previous holder, I9), or nil when another owner holds a
 * live one. Re-acquiring one's own lease extends it (same as every backend), with a new generation.
 */
export const ACQUIRE_LEASE_LUA = `${COMMON_LUA}
local now = now_ms()
if not leasable(redis.call('HGET', KEYS[1], 'status')) then return nil end
if lease_live(KEYS[1], now) and redis.call('HGET', KEYS[1], 'leaseOwner') ~= ARGV[2] then return nil end
-- HINCRBY starts a missing field (a pre-v2 hash) at 0.
redis.call('HINCRBY', KEYS[1], 'leaseGeneration', 1)
redis.call('HSET', KEYS[1], 'leaseOwner', ARGV[2], 'leaseExpiresAt', fmt(now + tonumber(ARGV[3])))
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
