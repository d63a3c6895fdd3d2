import { COMMON_LUA } from './common.lua';

/**
 * KEYS: due. ARGV: prefix, now (app clock ms), limit, owner, ttlMs, scanCap.
 * Walks the due index in score order, checks each row exactly (active or reauth_pending, due, no
 * backoff, no live lease) and leases it, bumping its generation. One script = one atomic step, so
 * concurrent claimers never share a row. Candidates are collected before any write: leasing moves
 * a member's score, which would shift the ZRANGEBYSCORE offsets mid-walk.
 */
export const CLAIM_DUE_LUA = `${COMMON_LUA}
local prefix, now_app, limit, owner, ttl, cap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local store_now = now_ms()
local picked, stale = {}, {}
local offset, page = 0, math.max(limit * 2, 50)
while #picked < limit and offset < cap do
  local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', fmt(now_app), 'LIMIT', offset, page)
  if #members == 0 then break end
  offset = offset + #members
  for _, m in ipairs(members) do
    if #picked >= limit then break end
    local key = conn_key(prefix, m)
    local f = redis.call('HMGET', key, 'status', 'nextRefreshAt', 'nextAttemptAt')
    if not leasable(f[1]) then
      stale[#stale + 1] = m
    else
      local next_refresh, next_attempt = num(f[2]), num(f[3])
      if next_refresh ~= nil and next_refresh <= now_app and (next_attempt == nil or next_attempt <= now_app) and not lease_live(key, store_now) then
        picked[#picked + 1] = m
      end
    end
  end
end
for _, m in ipairs(stale) do redis.call('ZREM', KEYS[1], m) end
local out = {}
for _, m in ipairs(picked) do
  local key = conn_key(prefix, m)
  redis.call('HINCRBY', key, 'leaseGeneration', 1)
  redis.call('HSET', key, 'leaseOwner', owner, 'leaseExpiresAt', fmt(store_now + ttl))
  touch(key, store_now)
  reindex(key, KEYS[1], m)
  out[#out + 1] = redis.call('HGETALL', key)
end
return out
`;
