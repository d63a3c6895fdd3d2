import { COMMON_LUA } from './common.lua';

/**
 * KEYS: conn, due. ARGV: member, owner, generation. Compare-and-delete: only the holder (owner and
 * generation) releases. Its own in-flight record goes with it; an earlier holder's stays, since
 * that call may still commit and the next holder must wait it out.
 */
export const RELEASE_LEASE_LUA = `${COMMON_LUA}
if not holds(KEYS[1], ARGV[2], ARGV[3]) then return 0 end
local now = now_ms()
if num(redis.call('HGET', KEYS[1], 'inflightGeneration')) == tonumber(ARGV[3]) then clear_inflight(KEYS[1]) end
clear_lease(KEYS[1])
touch(KEYS[1], now)
reindex(KEYS[1], KEYS[2], ARGV[1])
return 1
`;
