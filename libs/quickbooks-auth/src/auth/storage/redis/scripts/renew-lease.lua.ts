import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, generation, ttlMs. 1 when the caller still holds the lease
 * (owner and generation); an expired lease can be renewed only while nobody else took it over.
 */
export const RENEW_LEASE_LUA = `${COMMON_LUA}
local now = now_ms()
if not holds(KEYS[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'leaseExpiresAt', fmt(now + tonumber(ARGV[4])))
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
