/**
 * Helpers prepended to every script. Times are integer milliseconds; '' stands for null.
 * Lease times come from redis.call('TIME') (the store clock) so replicas with skewed clocks agree.
 * The connection key builder mirrors RedisKeys.connection (member = `{tenant}:{realm}`, encoded).
 * Hashes written before protocol v2 lack leaseGeneration and the inflight fields: a missing
 * generation reads as 0 and a missing inflight field as null, so they upgrade in place.
 */
export const COMMON_LUA = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%.0f', n) end
local function num(v)
  if v == false or v == nil or v == '' then return nil end
  return tonumber(v)
end
local function conn_key(prefix, member)
  local sep = string.find(member, ':', 1, true)
  return prefix .. 't:' .. string.sub(member, 1, sep - 1) .. ':conn:' .. string.sub(member, sep + 1)
end
-- Only these statuses can be leased and claimed: reauth_pending is leased to be reconciled.
local function leasable(status)
  return status == 'active' or status == 'reauth_pending'
end
-- Live until its expiry has passed (same boundary as every backend: expired means exp < now).
local function lease_live(key, now)
  local f = redis.call('HMGET', key, 'leaseOwner', 'leaseExpiresAt')
  local exp = num(f[2])
  return f[1] ~= false and f[1] ~= '' and exp ~= nil and exp >= now
end
-- The fence (I9): the caller's lease is still the row's, owner AND generation.
local function holds(key, owner, gen)
  local f = redis.call('HMGET', key, 'leaseOwner', 'leaseGeneration')
  return f[1] ~= false and f[1] ~= '' and f[1] == owner and (tonumber(f[2]) or 0) == tonumber(gen)
end
local function generation(key)
  return tonumber(redis.call('HGET', key, 'leaseGeneration')) or 0
end
local function clear_lease(key)
  redis.call('HSET', key, 'leaseOwner', '', 'leaseExpiresAt', '')
end
local function clear_inflight(key)
  redis.call('HSET', key, 'inflightFingerprint', '', 'inflightOwner', '', 'inflightGeneration', '', 'inflightStartedAt', '', 'inflightDeadlineAt', '')
end
local function touch(key, now)
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('HSET', key, 'updatedAt', fmt(now))
end
-- Due score: the earliest moment claimDue may pick the row (a held lease pushes it out of range).
-- reauth_pending rows stay indexed: they are claimed again at pendingUntil to be reconciled.
local function reindex(key, due_key, member)
  local f = redis.call('HMGET', key, 'status', 'nextRefreshAt', 'nextAttemptAt', 'leaseExpiresAt', 'leaseOwner')
  if not leasable(f[1]) then
    redis.call('ZREM', due_key, member)
    return
  end
  local s = num(f[2]) or 0
  local a = num(f[3])
  if a ~= nil and a > s then s = a end
  local l = num(f[4])
  if f[5] ~= false and f[5] ~= '' and l ~= nil and l > s then s = l end
  redis.call('ZADD', due_key, fmt(s), member)
end
`;
