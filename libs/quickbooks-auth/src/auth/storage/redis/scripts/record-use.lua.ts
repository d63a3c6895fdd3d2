import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, usedAt, expectedAccessExpiry ('' for none), refreshAt.
 * recordUse: only an active row; lastUsedAt only moves forward; nextRefreshAt is brought forward
 * to refreshAt only while the access token still expires at expectedAccessExpiry (the schedule
 * was computed from it). No version bump (bookkeeping, not a fenced write).
 */
export const RECORD_USE_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'lastUsedAt', 'accessTokenExpiresAt', 'nextRefreshAt')
if f[1] ~= 'active' then return 0 end
local used = tonumber(ARGV[2])
local last = num(f[2])
if last == nil or last < used then redis.call('HSET', KEYS[1], 'lastUsedAt', fmt(used)) end
local expected = num(ARGV[3])
local at = num(ARGV[4])
if expected ~= nil and at ~= nil and num(f[3]) == expected and (num(f[4]) or 0) > at then
  redis.call('HSET', KEYS[1], 'nextRefreshAt', fmt(at))
  reindex(KEYS[1], KEYS[2], ARGV[1])
end
return 1
`;
