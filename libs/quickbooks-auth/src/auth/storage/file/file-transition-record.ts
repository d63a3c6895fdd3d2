import type { StoredConnection } from '../../../domain/connection.interface';
import type { TransitionRecord } from '../transitions/transition-record';

/** A connection document as the shared transitions see it (epoch ms, the in-flight call flat). */
export function transitionRecordOf(c: StoredConnection): TransitionRecord {
  return {
    status: c.status,
    refreshTokenFingerprint: c.refreshTokenFingerprint,
    leaseOwner: c.leaseOwner,
    leaseExpiresAt: c.leaseExpiresAt?.getTime() ?? null,
    leaseGeneration: c.leaseGeneration,
    inflightFingerprint: c.inflight?.fingerprint ?? null,
    inflightOwner: c.inflight?.owner ?? null,
    inflightGeneration: c.inflight?.generation ?? null,
    inflightStartedAt: c.inflight?.startedAt.getTime() ?? null,
    inflightDeadlineAt: c.inflight?.deadlineAt.getTime() ?? null,
    lastErrorFingerprint: c.lastErrorFingerprint,
    lastErrorCode: c.lastErrorCode,
    failureCount: c.failureCount,
    nextAttemptAt: c.nextAttemptAt?.getTime() ?? null,
    nextRefreshAt: c.nextRefreshAt.getTime(),
    accessTokenExpiresAt: c.accessTokenExpiresAt.getTime(),
    refreshTokenExpiresAt: c.refreshTokenExpiresAt.getTime(),
    refreshTokenHardExpiresAt: c.refreshTokenHardExpiresAt?.getTime() ?? null,
    lastRefreshedAt: c.lastRefreshedAt?.getTime() ?? null,
    version: c.version,
    updatedAt: c.updatedAt.getTime(),
  };
}

/** The document with a transition's record written back (null: the transition's rule did not hold). */
export function withTransition(c: StoredConnection, next: TransitionRecord | null): StoredConnection | null {
  if (!next) return null;
  return {
    ...c,
    status: next.status,
    refreshTokenFingerprint: next.refreshTokenFingerprint ?? '',
    leaseOwner: next.leaseOwner,
    leaseExpiresAt: dateOrNull(next.leaseExpiresAt),
    leaseGeneration: next.leaseGeneration,
    inflight:
      next.inflightFingerprint === null
        ? null
        : {
            fingerprint: next.inflightFingerprint,
            owner: next.inflightOwner ?? '',
            generation: next.inflightGeneration ?? 0,
            startedAt: new Date(next.inflightStartedAt ?? 0),
            deadlineAt: new Date(next.inflightDeadlineAt ?? 0),
          },
    lastErrorFingerprint: next.lastErrorFingerprint,
    lastErrorCode: next.lastErrorCode,
    failureCount: next.failureCount,
    nextAttemptAt: dateOrNull(next.nextAttemptAt),
    nextRefreshAt: new Date(next.nextRefreshAt),
    accessTokenExpiresAt: new Date(next.accessTokenExpiresAt),
    refreshTokenExpiresAt: new Date(next.refreshTokenExpiresAt),
    refreshTokenHardExpiresAt: dateOrNull(next.refreshTokenHardExpiresAt),
    lastRefreshedAt: dateOrNull(next.lastRefreshedAt),
    version: next.version,
    updatedAt: new Date(next.updatedAt),
  };
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
