import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, generation, fingerprint, errorCode, pendingUntil ('' = none).
 * Only for the stored fingerprint (no newer token, I4), by the lease holder (I9), while active or
 * reauth_pending. pendingUntil parks the row as reauth_pending until then (kept in nextRefreshAt,
 * so claimDue picks it up again); none marks needs_reauth. 1 when it changed.
 */
export const MARK_NEEDS_REAUTH_LUA = `${COMMON_LUA}
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint')
if not leasable(f[1]) or f[2] ~= ARGV[4] then return 0 end
if not holds(KEYS[1], ARGV[2], ARGV[3]) then return 0 end
local now = now_ms()
local pending = ARGV[6] ~= ''
redis.call('HSET', KEYS[1], 'status', pending and 'reauth_pending' or 'needs_reauth', 'lastErrorCode', ARGV[5], 'lastErrorFingerprint', ARGV[4], 'nextAttemptAt', '')
if pending then redis.call('HSET', KEYS[1], 'nextRefreshAt', ARGV[6]) end
clear_inflight(KEYS[1])
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
