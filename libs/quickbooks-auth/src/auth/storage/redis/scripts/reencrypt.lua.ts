import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn. ARGV: oldAccessEnc, oldRefreshEnc, oldRevokeEnc, newAccessEnc, newRefreshEnc, newRevokeEnc.
 * Compare-and-swap on the current ciphertexts (the pending revocation's too), so a refresh or a
 * reconnect that landed meanwhile is never undone. Fingerprints are left alone: writes fence on them.
 */
export const REENCRYPT_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'accessTokenEnc', 'refreshTokenEnc', 'revokeTokenEnc')
if (f[1] or '') ~= ARGV[1] or (f[2] or '') ~= ARGV[2] or (f[3] or '') ~= ARGV[3] then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'accessTokenEnc', ARGV[4], 'refreshTokenEnc', ARGV[5], 'revokeTokenEnc', ARGV[6])
touch(KEYS[1], now)
return 1
`;
