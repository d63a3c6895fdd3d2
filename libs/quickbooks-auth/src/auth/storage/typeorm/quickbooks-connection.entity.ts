import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { ConnectionStatus, IntuitEnvironment } from '../../../domain/connection.interface';
import { epochMsTransformer } from './epoch-ms.transformer';
import { scopesTransformer } from './scopes.transformer';
import { SealedToken } from './sealed-token';
import { sealedTokenTransformer } from './sealed-token.transformer';

/** BIGINT counters as numbers (mysql2 returns BIGINT as a string). */
const bigintNumber = { to: (v: unknown) => v, from: (v: unknown) => (v === null || v === undefined ? null : Number(v)) };

/**
 * One QuickBooks connection (tenant + realm). The schema is created by the migrations in
 * `migrations/` (QUICKBOOKS_AUTH_*_MIGRATIONS), not by `synchronize`: the metadata matches the
 * MySQL migration, but SQLite needs INTEGER for its autoincrement key. Write it only with explicit-column updates: random IVs make
 * `save()` of a loaded entity always dirty. Times are UTC epoch milliseconds in BIGINT columns.
 */
@Entity({ name: 'quickbooks_connections' })
@Unique('uq_quickbooks_connections_tenant_realm', ['tenantId', 'realmId'])
@Index('idx_quickbooks_connections_due', ['status', 'nextRefreshAt'])
@Index('idx_quickbooks_connections_revoke_due', ['revokeDueAt'])
export class QuickBooksConnectionEntity {
  /** Surrogate key: stable order for keyset pagination (listRefs). mysql2 returns it as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', name: 'id' })
  id: string | number;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId: string;

  @Column({ name: 'realm_id', type: 'varchar', length: 64 })
  realmId: string;

  @Column({ name: 'environment', type: 'varchar', length: 16 })
  environment: IntuitEnvironment;

  /** active, reauth_pending (14 characters), needs_reauth, revoke_pending (14) or revoked. */
  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: ConnectionStatus;

  /** AES-256-GCM ciphertext bound to tenant + realm + field; null once revoked. */
  @Column({ name: 'access_token_enc', type: 'text', nullable: true, default: null, transformer: sealedTokenTransformer })
  accessTokenEnc: SealedToken | null;

  @Column({ name: 'refresh_token_enc', type: 'text', nullable: true, default: null, transformer: sealedTokenTransformer })
  refreshTokenEnc: SealedToken | null;

  /** Keyed HMAC of the refresh token: the compare-and-swap fence (I2, I3). */
  @Column({ name: 'refresh_token_fp', type: 'varchar', length: 128, nullable: true })
  refreshTokenFingerprint: string | null;

  @Column({ name: 'access_token_expires_at', type: 'bigint', transformer: epochMsTransformer })
  accessTokenExpiresAt: Date;

  @Column({ name: 'refresh_token_expires_at', type: 'bigint', transformer: epochMsTransformer })
  refreshTokenExpiresAt: Date;

  @Column({ name: 'refresh_token_hard_expires_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  refreshTokenHardExpiresAt: Date | null;

  @Column({ name: 'scopes', type: 'text', transformer: scopesTransformer })
  scopes: string[];

  @Column({ name: 'version', type: 'bigint', default: 1, transformer: bigintNumber })
  version: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 128, nullable: true })
  leaseOwner: string | null;

  /** Set from the database clock, never the app's (replicas may be skewed). */
  @Column({ name: 'lease_expires_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  leaseExpiresAt: Date | null;

  @Column({ name: 'next_refresh_at', type: 'bigint', transformer: epochMsTransformer })
  nextRefreshAt: Date;

  @Column({ name: 'failure_count', type: 'int', default: 0 })
  failureCount: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  nextAttemptAt: Date | null;

  @Column({ name: 'last_error_code', type: 'varchar', length: 64, nullable: true })
  lastErrorCode: string | null;

  @Column({ name: 'last_refreshed_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  lastRefreshedAt: Date | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMsTransformer })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMsTransformer })
  updatedAt: Date;

  // Refresh protocol v2 (migration 1767225800000), appended to the table in this order.

  /** Fencing generation: bumped by every lease acquisition, claim, reconnect and revoke; never reset (I9). */
  @Column({ name: 'lease_generation', type: 'bigint', default: 0, transformer: bigintNumber })
  leaseGeneration: number;

  /** The token call recorded by beginCall (times from the database clock); all null once resolved. */
  @Column({ name: 'inflight_fp', type: 'varchar', length: 128, nullable: true, default: null })
  inflightFingerprint: string | null;

  @Column({ name: 'inflight_owner', type: 'varchar', length: 128, nullable: true, default: null })
  inflightOwner: string | null;

  @Column({ name: 'inflight_generation', type: 'bigint', nullable: true, default: null, transformer: bigintNumber })
  inflightGeneration: number | null;

  @Column({ name: 'inflight_started_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  inflightStartedAt: Date | null;

  @Column({ name: 'inflight_deadline_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  inflightDeadlineAt: Date | null;

  /** Fingerprint of the refresh token Intuit refused (reauth_pending, needs_reauth): a rotation for exactly it may revive the row. */
  @Column({ name: 'last_error_fp', type: 'varchar', length: 128, nullable: true, default: null })
  lastErrorFingerprint: string | null;

  // Pending revocation (migration 1767225900000): a refresh token still to revoke at Intuit.

  /** Moved, still sealed, from refresh_token_enc (same AAD field); null when nothing is pending. */
  @Column({ name: 'revoke_token_enc', type: 'text', nullable: true, default: null, transformer: sealedTokenTransformer })
  revokeTokenEnc: SealedToken | null;

  @Column({ name: 'revoke_token_fp', type: 'varchar', length: 128, nullable: true, default: null })
  revokeTokenFingerprint: string | null;

  /** App clock: when claimRevocations may hand it out. */
  @Column({ name: 'revoke_due_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  revokeDueAt: Date | null;

  @Column({ name: 'revoke_attempts', type: 'int', default: 0 })
  revokeAttempts: number;

  /** Nearest hard-expiry warning horizon (days) already sent for this grant (migration 1767226000000); null: none. */
  @Column({ name: 'reconnect_warned_days', type: 'int', nullable: true, default: null })
  reconnectWarnedDays: number | null;

  // Last use (migration 1767226100000): the proactive 'recent' policy.

  /** App clock, coarse (recordUse): when a token of this connection was last handed to the app; null until then. */
  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, default: null, transformer: epochMsTransformer })
  lastUsedAt: Date | null;
}
