import { COMMON_LUA } from './common.lua';

/**
 * KEYS: revocations. ARGV: prefix, now (app clock ms), limit, holdUntil, only member ('' = any due).
 * Hands out pending revocations due by `now`, soonest first (or the one asked for, due or not),
 * moving each one's due time to holdUntil so another claimer skips it until then. Members whose
 * row no longer has one are dropped from the index. Each reply: tenantId, realmId, status,
 * revokeTokenEnc, revokeTokenFingerprint, revokeAttempts.
 */
export const CLAIM_REVOCATIONS_LUA = `${COMMON_LUA}
local prefix, now_app, limit, hold, only = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local members
if only ~= '' then members = { only } else members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now_app), 'LIMIT', 0, limit * 2) end
local out = {}
for _, m in ipairs(members) do
  if #out >= limit then break end
  local key = conn_key(prefix, m)
  local fp = redis.call('HGET', key, 'revokeTokenFingerprint')
  if not fp or fp == '' then
    redis.call('ZREM', KEYS[1], m)
  else
    redis.call('HSET', key, 'revokeDueAt', hold)
    redis.call('HINCRBY', key, 'version', 1)
    redis.call('ZADD', KEYS[1], hold, m)
    out[#out + 1] = redis.call('HMGET', key, 'tenantId', 'realmId', 'status', 'revokeTokenEnc', 'revokeTokenFingerprint', 'revokeAttempts')
  end
end
return out
`;
