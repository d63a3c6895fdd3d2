import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, revocations. ARGV: member, fingerprint, retryAt (app clock ms, '' = done).
 * Only while `fingerprint` is still the pending revocation. Done: cleared, and a revoke_pending
 * row becomes revoked. Otherwise the next attempt is scheduled and this one counted. 1 if it matched.
 */
export const SETTLE_REVOCATION_LUA = `${COMMON_LUA}
local fp = redis.call('HGET', KEYS[1], 'revokeTokenFingerprint')
if not fp or fp == '' or fp ~= ARGV[2] then return 0 end
local now = now_ms()
if ARGV[3] == '' then
  redis.call('HSET', KEYS[1], 'revokeTokenEnc', '', 'revokeTokenFingerprint', '', 'revokeDueAt', '', 'revokeAttempts', '0')
  if redis.call('HGET', KEYS[1], 'status') == 'revoke_pending' then redis.call('HSET', KEYS[1], 'status', 'revoked') end
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'revokeDueAt', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'revokeAttempts', 1)
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
touch(KEYS[1], now)
return 1
`;
