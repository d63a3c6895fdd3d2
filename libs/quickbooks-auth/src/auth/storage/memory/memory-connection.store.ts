import type { ConnectionRef, ConnectionStatus, IntuitEnvironment } from '../../../domain/connection.interface';

/** One connection as the memory backend keeps it: tokens sealed, times as epoch ms. */
export interface MemoryConnectionRow {
  id: number;
  tenantId: string;
  realmId: string;
  environment: IntuitEnvironment;
  status: ConnectionStatus;
  /** `v1:keyId:...` ciphertexts (never plaintext), null once revoked. */
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  refreshTokenFingerprint: string | null;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt: number;
  refreshTokenHardExpiresAt: number | null;
  scopes: string[];
  version: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  leaseGeneration: number;
  inflightFingerprint: string | null;
  inflightOwner: string | null;
  inflightGeneration: number | null;
  inflightStartedAt: number | null;
  inflightDeadlineAt: number | null;
  lastErrorFingerprint: string | null;
  nextRefreshAt: number;
  failureCount: number;
  nextAttemptAt: number | null;
  lastErrorCode: string | null;
  lastRefreshedAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Pending revocation: a refresh token still to revoke at Intuit, sealed as it was (null: none). */
  revokeTokenEnc: string | null;
  revokeTokenFingerprint: string | null;
  /** App clock: when claimRevocations may hand it out. */
  revokeDueAt: number | null;
  revokeAttempts: number;
  /** App clock, coarse (recordUse): null until the app was first handed a token of it. */
  lastUsedAt?: number | null;
  /** Nearest hard-expiry warning horizon (days) already sent for this grant; null or absent: none. */
  reconnectWarnedDays?: number | null;
}

/**
 * The rows behind a MemoryTokenStorage, kept apart so tests can reopen the same data under a
 * new key ring (rotation) or inspect the raw ciphertexts.
 */
export class MemoryConnectionStore {
  readonly rows = new Map<string, MemoryConnectionRow>();
  private lastId = 0;

  nextId(): number {
    return ++this.lastId;
  }

  /** JSON keeps tenant and realm unambiguous whatever characters they hold (I7). */
  static key(ref: ConnectionRef): string {
    return JSON.stringify([ref.tenantId, ref.realmId]);
  }
}
