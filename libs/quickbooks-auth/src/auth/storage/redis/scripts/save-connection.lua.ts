import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, tenantIndex, refs, due, revocations. ARGV: member, realmId, new refresh token
 * fingerprint, revokeDueAt, then field/value pairs.
 * Connect or reconnect: the pairs carry the new tokens and reset status, failures, lease, the
 * in-flight record and lastErrorFingerprint. The generation is bumped so every holder of the old
 * tokens is fenced (I9). The refresh token replaced (if any, and not the new one) becomes the
 * pending revocation, still sealed; otherwise a pending one is kept.
 */
export const SAVE_CONNECTION_LUA = `${COMMON_LUA}
local now = now_ms()
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'createdAt', fmt(now), 'version', '0', 'lastRefreshedAt', '')
end
local old = redis.call('HMGET', KEYS[1], 'refreshTokenEnc', 'refreshTokenFingerprint')
if old[1] and old[1] ~= '' and old[2] and old[2] ~= '' and old[2] ~= ARGV[3] then
  redis.call('HSET', KEYS[1], 'revokeTokenEnc', old[1], 'revokeTokenFingerprint', old[2], 'revokeDueAt', ARGV[4], 'revokeAttempts', '0')
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
end
local pairs_ = {}
for i = 5, #ARGV do pairs_[#pairs_ + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(pairs_))
redis.call('HINCRBY', KEYS[1], 'leaseGeneration', 1)
touch(KEYS[1], now)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
reindex(KEYS[1], KEYS[4], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
