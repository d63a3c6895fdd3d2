import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, refusedFingerprint ('' = unconditional). Wipes the tokens, keeps
 * the row for audit. 1 if it changed. With a fingerprint, only while the row is needs_reauth with
 * exactly that refresh token stored, checked in the same script: a reconnect stored since is kept.
 * Clears the in-flight record and bumps the generation: no holder may write after a disconnect.
 */
export const MARK_REVOKED_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint')
if f[1] == false then return 0 end
if ARGV[2] ~= '' and (f[1] ~= 'needs_reauth' or f[2] ~= ARGV[2]) then return 0 end
local now = now_ms()
redis.call('HSET', KEYS[1], 'status', 'revoked', 'accessTokenEnc', '', 'refreshTokenEnc', '', 'refreshTokenFingerprint', '')
clear_inflight(KEYS[1])
clear_lease(KEYS[1])
redis.call('HINCRBY', KEYS[1], 'leaseGeneration', 1)
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
