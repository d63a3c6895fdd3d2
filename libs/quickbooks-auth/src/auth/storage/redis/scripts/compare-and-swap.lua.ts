import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, expectedFingerprint, owner (unused: kept for symmetry), then field/value pairs (new tokens).
 * Fenced on the refresh-token fingerprint (not on the lease): a token Intuit issued for the stored
 * predecessor is always kept (I2), one for a superseded token never overwrites a newer one.
 */
export const COMPARE_AND_SWAP_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint')
if f[1] == false or f[1] == 'revoked' then return nil end
if f[2] ~= ARGV[2] then return nil end
local now = now_ms()
local pairs_ = {}
for i = 4, #ARGV do pairs_[#pairs_ + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(pairs_))
redis.call('HSET', KEYS[1], 'lastRefreshedAt', fmt(now))
-- Any lease was taken for a token that is now superseded: end it.
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
