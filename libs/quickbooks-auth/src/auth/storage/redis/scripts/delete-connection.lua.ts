/** KEYS: conn, tenantIndex, refs, due, revocations. ARGV: member, realmId. Removes the row and every index entry. */
export const DELETE_CONNECTION_LUA = `
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return existed
`;
