import type { ConnectionStatus, Lease } from '../../../domain/connection.interface';

/**
 * The fields of one connection that the state transitions of the memory and file backends read
 * and write, times as epoch ms, the in-flight call flat (null fields: none). The memory row is one;
 * the file backend maps its document to and from it. The SQL and Lua backends write the same rules
 * as conditional statements.
 */
export interface TransitionRecord {
  status: ConnectionStatus;
  refreshTokenFingerprint: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  leaseGeneration: number;
  inflightFingerprint: string | null;
  inflightOwner: string | null;
  inflightGeneration: number | null;
  inflightStartedAt: number | null;
  inflightDeadlineAt: number | null;
  lastErrorFingerprint: string | null;
  lastErrorCode: string | null;
  failureCount: number;
  nextAttemptAt: number | null;
  nextRefreshAt: number;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt: number;
  refreshTokenHardExpiresAt: number | null;
  lastRefreshedAt: number | null;
  version: number;
  updatedAt: number;
}

/** Statuses a lease (and a claim) can be taken on: reauth_pending is leased to be reconciled. */
export const LEASABLE_STATUSES: ReadonlySet<ConnectionStatus> = new Set<ConnectionStatus>(['active', 'reauth_pending']);

/** No call in flight. */
export const NO_INFLIGHT = {
  inflightFingerprint: null,
  inflightOwner: null,
  inflightGeneration: null,
  inflightStartedAt: null,
  inflightDeadlineAt: null,
} satisfies Partial<TransitionRecord>;

/** `lease` still holds the row: same owner and generation (the fence, I9). */
export function holds(row: TransitionRecord, lease: Lease): boolean {
  return row.leaseOwner === lease.owner && row.leaseGeneration === lease.generation;
}

/** Nobody else holds a live lease (`owner` may take its own again). */
export function leaseFree(row: TransitionRecord, now: number, owner?: string): boolean {
  return row.leaseOwner === null || row.leaseOwner === owner || (row.leaseExpiresAt ?? 0) < now;
}

/** Every transition bumps the version and stamps updatedAt. */
export function changed<R extends TransitionRecord>(row: R, changes: Partial<TransitionRecord>, now: number): R {
  return { ...row, ...changes, version: row.version + 1, updatedAt: now };
}
