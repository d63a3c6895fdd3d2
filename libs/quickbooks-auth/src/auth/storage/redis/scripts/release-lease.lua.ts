import { COMMON_LUA } from './common.lua';

/** KEYS: conn, due. ARGV: member, owner. Compare-and-delete: only the owner releases. */
export const RELEASE_LEASE_LUA = `${COMMON_LUA}
if redis.call('HGET', KEYS[1], 'leaseOwner') ~= ARGV[2] then return 0 end
local now = now_ms()
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
