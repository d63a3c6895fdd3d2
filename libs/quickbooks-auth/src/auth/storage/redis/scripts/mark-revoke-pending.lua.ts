import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due, revocations. ARGV: member, retryAt (app clock ms), errorCode.
 * Disconnect Intuit did not confirm: the refresh token (if any) becomes the pending revocation,
 * still sealed, with one attempt counted; status revoke_pending, tokens wiped, lease and in-flight
 * record cleared, generation bumped (no holder may write after a disconnect). 0 for a missing or
 * revoked row.
 */
export const MARK_REVOKE_PENDING_LUA = `${COMMON_LUA}
local status = redis.call('HGET', KEYS[1], 'status')
if status == false or status == 'revoked' then return 0 end
local now = now_ms()
local f = redis.call('HMGET', KEYS[1], 'refreshTokenEnc', 'refreshTokenFingerprint')
if f[1] and f[1] ~= '' and f[2] and f[2] ~= '' then
  redis.call('HSET', KEYS[1], 'revokeTokenEnc', f[1], 'revokeTokenFingerprint', f[2], 'revokeAttempts', '1')
end
redis.call('HSET', KEYS[1], 'revokeDueAt', ARGV[2], 'status', 'revoke_pending', 'lastErrorCode', ARGV[3], 'accessTokenEnc', '', 'refreshTokenEnc', '', 'refreshTokenFingerprint', '')
clear_inflight(KEYS[1])
clear_lease(KEYS[1])
redis.call('HINCRBY', KEYS[1], 'leaseGeneration', 1)
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
local pending = redis.call('HGET', KEYS[1], 'revokeTokenFingerprint')
if pending and pending ~= '' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return 1
`;
