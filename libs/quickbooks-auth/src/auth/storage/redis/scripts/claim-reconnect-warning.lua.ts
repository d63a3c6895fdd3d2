/**
 * KEYS: conn. ARGV: horizon days, horizon end (app-clock ms: now + days). Records that the
 * hard-expiry warning for this horizon went out: 1 for exactly one caller, only while the
 * connection is not disconnected, its hard expiry is known and before the horizon end, and no
 * warning for this horizon or a nearer one is recorded. 0 otherwise. No token, lease or version change.
 */
export const CLAIM_RECONNECT_WARNING_LUA = `
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenHardExpiresAt', 'reconnectWarnedDays')
local status, hard, warned = f[1], f[2], f[3]
if status ~= 'active' and status ~= 'reauth_pending' and status ~= 'needs_reauth' then return 0 end
if not hard or hard == '' or tonumber(hard) > tonumber(ARGV[2]) then return 0 end
if warned and warned ~= '' and tonumber(warned) <= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'reconnectWarnedDays', ARGV[1])
return 1
`;
