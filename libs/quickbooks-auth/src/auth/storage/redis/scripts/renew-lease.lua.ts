import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, ttlMs. 1 when the caller still holds the lease; an expired
 * lease can be renewed only while nobody else took it over (the owner field is the fence).
 */
export const RENEW_LEASE_LUA = `${COMMON_LUA}
local now = now_ms()
if redis.call('HGET', KEYS[1], 'leaseOwner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'leaseExpiresAt', fmt(now + tonumber(ARGV[3])))
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
