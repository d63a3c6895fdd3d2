import { COMMON_LUA } from './common.lua';

/** KEYS: conn, due. ARGV: member, expectedFingerprint, errorCode. 1 when it moved to needs_reauth (I4). */
export const MARK_NEEDS_REAUTH_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint')
if f[1] ~= 'active' or f[2] ~= ARGV[2] then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'status', 'needs_reauth', 'lastErrorCode', ARGV[3])
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
