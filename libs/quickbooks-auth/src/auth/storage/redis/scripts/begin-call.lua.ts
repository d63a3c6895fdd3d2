import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, generation, fingerprint, callBudgetMs, ttlMs (>= budget).
 * The one conditional write right before a token call (I9): the caller holds the lease, the row is
 * active with `fingerprint` stored, the lease has at least the call budget left (store clock) and
 * no other generation's call with this same token is still inside its deadline. Then records the
 * call in flight and renews the lease. 1 when written: only then may the token be sent.
 */
export const BEGIN_CALL_LUA = `${COMMON_LUA}
local now = now_ms()
local budget, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
if not holds(KEYS[1], ARGV[2], ARGV[3]) then return 0 end
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint', 'leaseExpiresAt', 'inflightFingerprint', 'inflightGeneration', 'inflightDeadlineAt', 'leaseGeneration')
if f[1] ~= 'active' or f[2] == false or f[2] == '' or f[2] ~= ARGV[4] then return 0 end
if (num(f[3]) or 0) < now + budget then return 0 end
-- An earlier holder's call with this very token may still be answered: wait it out.
local unresolved = f[4] == f[2] and num(f[5]) ~= tonumber(ARGV[3])
if unresolved and (num(f[6]) or 0) > now then return 0 end
redis.call('HSET', KEYS[1],
  'inflightFingerprint', ARGV[4], 'inflightOwner', ARGV[2], 'inflightGeneration', f[7] or '0',
  'inflightStartedAt', fmt(now), 'inflightDeadlineAt', fmt(now + budget),
  'leaseExpiresAt', fmt(now + ttl))
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
