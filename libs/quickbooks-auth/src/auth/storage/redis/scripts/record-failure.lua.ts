import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, generation, failureCount, nextAttemptAt, lastErrorCode.
 * Only the lease holder (owner and generation) of an active row records; never touches status (I4).
 */
export const RECORD_FAILURE_LUA = `${COMMON_LUA}
if redis.call('HGET', KEYS[1], 'status') ~= 'active' then return 0 end
if not holds(KEYS[1], ARGV[2], ARGV[3]) then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'failureCount', ARGV[4], 'nextAttemptAt', ARGV[5], 'lastErrorCode', ARGV[6])
clear_inflight(KEYS[1])
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
