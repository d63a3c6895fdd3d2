import type Redis from 'ioredis';
import { ACQUIRE_LEASE_LUA } from './scripts/acquire-lease.lua';
import { BEGIN_CALL_LUA } from './scripts/begin-call.lua';
import { CLAIM_DUE_LUA } from './scripts/claim-due.lua';
import { COMPARE_AND_SWAP_LUA } from './scripts/compare-and-swap.lua';
import { DELETE_CONNECTION_LUA } from './scripts/delete-connection.lua';
import { MARK_NEEDS_REAUTH_LUA } from './scripts/mark-needs-reauth.lua';
import { CLAIM_REVOCATIONS_LUA } from './scripts/claim-revocations.lua';
import { MARK_REVOKE_PENDING_LUA } from './scripts/mark-revoke-pending.lua';
import { MARK_REVOKED_LUA } from './scripts/mark-revoked.lua';
import { SETTLE_REVOCATION_LUA } from './scripts/settle-revocation.lua';
import { REENCRYPT_LUA } from './scripts/reencrypt.lua';
import { RECORD_FAILURE_LUA } from './scripts/record-failure.lua';
import { RELEASE_LEASE_LUA } from './scripts/release-lease.lua';
import { RENEW_LEASE_LUA } from './scripts/renew-lease.lua';
import { SAVE_CONNECTION_LUA } from './scripts/save-connection.lua';
import { RECORD_USE_LUA } from './scripts/record-use.lua';
import { CLAIM_RECONNECT_WARNING_LUA } from './scripts/claim-reconnect-warning.lua';

/** A flat HGETALL reply, or null when the script refused. */
export type HashReply = string[] | null;

/** The scripts as typed calls: (keys, args) → reply. */
export interface RedisScripts {
  saveConnection(keys: string[], args: string[]): Promise<HashReply>;
  acquireLease(keys: string[], args: string[]): Promise<HashReply>;
  renewLease(keys: string[], args: string[]): Promise<number>;
  releaseLease(keys: string[], args: string[]): Promise<number>;
  beginCall(keys: string[], args: string[]): Promise<number>;
  compareAndSwap(keys: string[], args: string[]): Promise<HashReply>;
  recordFailure(keys: string[], args: string[]): Promise<number>;
  markNeedsReauth(keys: string[], args: string[]): Promise<number>;
  markRevoked(keys: string[], args: string[]): Promise<number>;
  deleteConnection(keys: string[], args: string[]): Promise<number>;
  claimDue(keys: string[], args: string[]): Promise<string[][]>;
  reencrypt(keys: string[], args: string[]): Promise<number>;
  markRevokePending(keys: string[], args: string[]): Promise<number>;
  claimRevocations(keys: string[], args: string[]): Promise<Array<Array<string | null>>>;
  settleRevocation(keys: string[], args: string[]): Promise<number>;
  recordUse(keys: string[], args: string[]): Promise<number>;
  claimReconnectWarning(keys: string[], args: string[]): Promise<number>;
}

const SOURCES: Record<keyof RedisScripts, string> = {
  saveConnection: SAVE_CONNECTION_LUA,
  acquireLease: ACQUIRE_LEASE_LUA,
  renewLease: RENEW_LEASE_LUA,
  releaseLease: RELEASE_LEASE_LUA,
  beginCall: BEGIN_CALL_LUA,
  compareAndSwap: COMPARE_AND_SWAP_LUA,
  recordFailure: RECORD_FAILURE_LUA,
  markNeedsReauth: MARK_NEEDS_REAUTH_LUA,
  markRevoked: MARK_REVOKED_LUA,
  deleteConnection: DELETE_CONNECTION_LUA,
  claimDue: CLAIM_DUE_LUA,
  reencrypt: REENCRYPT_LUA,
  markRevokePending: MARK_REVOKE_PENDING_LUA,
  claimRevocations: CLAIM_REVOCATIONS_LUA,
  settleRevocation: SETTLE_REVOCATION_LUA,
  recordUse: RECORD_USE_LUA,
  claimReconnectWarning: CLAIM_RECONNECT_WARNING_LUA,
};

/**
 * Registers the scripts on the client with `defineCommand` (EVALSHA, falling back to EVAL after a
 * SCRIPT FLUSH or restart). Command names are namespaced so they cannot clash with the host's own.
 */
export function defineRedisScripts(redis: Redis): RedisScripts {
  const client = redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>;
  const scripts = {} as Record<keyof RedisScripts, (keys: string[], args: string[]) => Promise<unknown>>;
  for (const [name, lua] of Object.entries(SOURCES) as Array<[keyof RedisScripts, string]>) {
    const command = `quickbooksAuth_${name}`;
    if (typeof client[command] !== 'function') redis.defineCommand(command, { lua });
    scripts[name] = (keys, args) => client[command](keys.length, ...keys, ...args);
  }
  return scripts as unknown as RedisScripts;
}
