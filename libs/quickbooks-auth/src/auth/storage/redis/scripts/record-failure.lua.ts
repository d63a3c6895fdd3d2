import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, failureCount, nextAttemptAt, lastErrorCode.
 * Skipped when another owner holds the lease (its outcome is the newer truth) or when not active.
 */
export const RECORD_FAILURE_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'leaseOwner')
if f[1] ~= 'active' then return 0 end
if f[2] ~= false and f[2] ~= '' and f[2] ~= ARGV[2] then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'failureCount', ARGV[3], 'nextAttemptAt', ARGV[4], 'lastErrorCode', ARGV[5])
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
