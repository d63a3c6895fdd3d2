import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, expectedFingerprint, newFingerprint, generation, then field/value
 * pairs (new tokens, status active, failures and error cleared).
 * Fenced on the refresh-token fingerprint (I2, I3). Rotated (new fingerprint differs): fingerprint
 * only, never the generation, since these tokens are the only live ones; allowed while active, or
 * reauth_pending / needs_reauth for exactly that token (revives it). Not rotated: also active and
 * the caller's generation, so a late answer never revives or overwrites (I9).
 */
export const COMPARE_AND_SWAP_LUA = `${COMMON_LUA}
local expected = ARGV[2]
if expected == '' then return nil end
local f = redis.call('HMGET', KEYS[1], 'status', 'refreshTokenFingerprint', 'lastErrorFingerprint')
if f[1] == false or f[2] ~= expected then return nil end
local status = f[1]
local ours = generation(KEYS[1]) == tonumber(ARGV[4])
if ARGV[3] ~= expected then
  local revivable = (status == 'reauth_pending' or status == 'needs_reauth') and f[3] == expected
  if status ~= 'active' and not revivable then return nil end
elseif status ~= 'active' or not ours then
  return nil
end
local now = now_ms()
local pairs_ = {}
for i = 5, #ARGV do pairs_[#pairs_ + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(pairs_))
redis.call('HSET', KEYS[1], 'lastRefreshedAt', fmt(now))
clear_inflight(KEYS[1])
-- Another holder's lease is left alone: its beginCall now finds the fingerprint moved.
if ours then clear_lease(KEYS[1]) end
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`;
