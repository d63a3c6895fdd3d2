import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn. ARGV: oldAccessEnc, oldRefreshEnc, newAccessEnc, newRefreshEnc.
 * Compare-and-swap on the current ciphertexts, so a refresh that landed meanwhile is never undone.
 * The fingerprint is left alone: a refresh in flight still fences on it.
 */
export const REENCRYPT_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'accessTokenEnc', 'refreshTokenEnc')
if f[1] ~= ARGV[1] or f[2] ~= ARGV[2] then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'accessTokenEnc', ARGV[3], 'refreshTokenEnc', ARGV[4])
touch(KEYS[1], now)
return 1
`;
