import { COMMON_LUA } from './common.lua';

/** KEYS: conn, due. ARGV: member. Wipes the tokens, keeps the row for audit. 1 if it existed. */
export const MARK_REVOKED_LUA = `${COMMON_LUA}
local status = redis.call('HGET', KEYS[1], 'status')
if status == false then return 0 end
if status ~= 'revoked' then
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'status', 'revoked', 'accessTokenEnc', '', 'refreshTokenEnc', '', 'refreshTokenFingerprint', '')
  clear_lease(KEYS[1])
  touch(KEYS[1], now)
end
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
