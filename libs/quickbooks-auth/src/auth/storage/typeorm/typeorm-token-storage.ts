import type { DataSource, EntityManager, UpdateQueryBuilder } from 'typeorm';
import { ConfigurationError } from '../../../errors/configuration.error';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import {
  CONNECTION_STATUSES,
  type ConnectionForAccess,
  type ConnectionRecord,
  type ConnectionRef,
  type ConnectionStatus,
  type Lease,
  type StoredConnection,
  type UndecryptableConnection,
} from '../../../domain/connection.interface';
import {
  assertValidConnectionRef,
  assertValidLimit,
  assertValidTenantId,
  assertValidTtl,
  assertValidRevokeFence,
} from '../connection-ref.validation';
import type {
  AcquireOptions,
  BeginCall,
  ClaimOptions,
  ConnectionUse,
  NewConnection,
  PendingRevocation,
  ReauthMark,
  ReconnectDuePage,
  RefreshFailure,
  RefreshResult,
  RevokeFence,
  RevokeRetry,
  StorageStats,
  TokenStorage,
} from '../token-storage.interface';
import { assertValidHorizonDays, decodeReconnectCursor, encodeReconnectCursor } from '../reconnect-cursor';
import { openOrNull } from '../pending-revocation';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { isUndecryptable, recordOf } from '../undecryptable-record';
import { BUILT_SET, BUILT_WHERE, connectionStatementsFor, type ConnectionStatements, type Statement } from './connection-statements';
import { textOf, toAccessConnection, toStoredConnection, type ConnectionRow, type JustOpened, type JustWritten } from './connection-row';
import { DirectSql, type WriteResult } from './direct-sql';
import { QuickBooksConnectionEntity as Row } from './quickbooks-connection.entity';
import { SealedToken } from './sealed-token';
import { sealedTokenTransformer } from './sealed-token.transformer';
import { epochMsTransformer } from './epoch-ms.transformer';
import { sqlDialectFor, type SqlDialect, type TypeOrmStorageKind } from './sql-dialect';
import { deadlockRetry } from './deadlock-retry';
import { driverErrorCode, toStorageError } from './storage-error.mapper';

type RowValues = Parameters<UpdateQueryBuilder<Row>['set']>[0];

/**
 * TokenStorage on a host TypeORM DataSource: MySQL/MariaDB or PostgreSQL (many replicas), or
 * SQLite (one process). Every state change is ONE conditional UPDATE whose WHERE clause is the rule (lease
 * free, fingerprint unchanged...), so "affected rows = 1" decides ownership without holding a
 * transaction; only claimDue on MySQL uses a short SELECT ... FOR UPDATE SKIP LOCKED transaction
 * (PostgreSQL locks and skips inside one UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)).
 * Lease times come from the database clock. Writes name their columns explicitly (no `save()`:
 * random IVs make a loaded entity always dirty). Tokens are sealed here, with the row's tenant and
 * realm in the AAD, before they reach the guard transformer on the column.
 *
 * The statements are named in ConnectionStatements (connection-statements.ts), one set per dialect;
 * the writes built with TypeORM's query builder take their WHERE rules and raw SET expressions from there.
 *
 * The hot path (get, acquireLease, renewLease, releaseLease, beginCall, compareAndSwapTokens, and
 * every re-read) skips TypeORM's query builder and entity hydration: prepared statements with an
 * explicit column list on the driver itself (DirectSql, primary only), rows mapped by hand
 * (toStoredConnection). The rest goes through TypeORM, guarded by the column transformers.
 *
 * Statements per operation: get 1; renew/release/beginCall/recordFailure/markNeedsReauth/markRevoked/delete 1;
 * acquireLease and compareAndSwapTokens 1 on SQLite and PostgreSQL (UPDATE ... RETURNING), 2 on MySQL (UPDATE,
 * then a prepared re-read: MySQL has no UPDATE ... RETURNING, and the row holds values only the
 * database knows, such as its clock and the version, so what is returned is what was read back;
 * acquireLease learns the generation it wrote from the UPDATE itself, LAST_INSERT_ID);
 * acquireLease on the caller's own getForAccess read (AcquireOptions.basis) 1 on MySQL too, while the
 * row is still at the basis's version (else as without it: the UPDATE again, unconditioned, and the re-read);
 * compareAndSwapTokens with the holder's basis 1 on MySQL too (LAST_INSERT_ID says the version written
 * and whether the lease was still ours; only a swap landing on another holder's lease is read back);
 * with beginCalls, claimDue and acquireLease record the call in the same write (no beginCall);
 * saveConnection 2 (3 on first connect); claimDue 1 on SQLite and PostgreSQL, 4-5 on MySQL per batch (BEGIN,
 * SELECT FOR UPDATE, UPDATE, COMMIT).
 *
 * MySQL evaluates the assignments of an UPDATE left to right, each seeing the columns already
 * assigned (SQLite and PostgreSQL see the old row throughout): a SET expression never reads a column assigned
 * before it in the same statement.
 */
export class TypeOrmTokenStorage implements TokenStorage {
  readonly kind: TypeOrmStorageKind;
  private readonly dialect: SqlDialect;
  private readonly sql: DirectSql;
  private readonly statements: ConnectionStatements;
  /**
   * MySQL: the row behind each connection getForAccess handed out, so acquireLease on that basis
   * needs no re-read. Held only as long as the caller holds the connection; never on the object
   * itself (nothing to serialise or log), and only this store's own reads are found here.
   */
  private readonly accessReads = new WeakMap<ConnectionForAccess, AccessRead>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: TokenCipher,
  ) {
    this.dialect = sqlDialectFor(dataSource);
    this.kind = this.dialect.kind;
    this.sql = new DirectSql(dataSource, this.dialect);
    this.statements = connectionStatementsFor(this.dialect);
    if (dataSource.isInitialized && !dataSource.hasMetadata(Row)) {
      throw new ConfigurationError([
        'the TypeORM DataSource for QuickBooks token storage must include QUICKBOOKS_AUTH_ENTITIES in its entities',
      ]);
    }
  }

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const row = await this.run('read a connection', () => this.readRow(ref));
    return row ? this.toStored(row) : null;
  }

  async getForAccess(ref: ConnectionRef): Promise<ConnectionForAccess | null> {
    assertValidConnectionRef(ref);
    const row = await this.run('read a connection', () => this.readRow(ref));
    if (!row) return null;
    const conn = toAccessConnection(row, this.cipher);
    if (!this.dialect.updateReturning) this.accessReads.set(conn, { row, accessToken: conn.accessToken });
    return conn;
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    assertValidTenantId(tenantId);
    const rows = await this.run('list connections', () => this.rowsOf<ConnectionRow>(this.statements.listByTenant(tenantId)));
    return rows.map((row) => this.toStored(row));
  }

  async getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    assertValidConnectionRef(ref);
    const row = await this.run('read a connection', () => this.readRow(ref));
    return row ? this.toRecord(row) : null;
  }

  async listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]> {
    assertValidTenantId(tenantId);
    const rows = await this.run('list connections', () => this.rowsOf<ConnectionRow>(this.statements.listByTenant(tenantId)));
    return rows.map((row) => this.toRecord(row));
  }

  async saveConnection(conn: NewConnection): Promise<StoredConnection> {
    assertValidConnectionRef(conn);
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    const values = {
      environment: conn.environment,
      status: 'active' as ConnectionStatus,
      ...this.sealTokens(ref, conn.accessToken, conn.refreshToken),
      accessTokenExpiresAt: conn.accessTokenExpiresAt,
      refreshTokenExpiresAt: conn.refreshTokenExpiresAt,
      refreshTokenHardExpiresAt: conn.refreshTokenHardExpiresAt,
      scopes: [...conn.scopes],
      nextRefreshAt: conn.nextRefreshAt,
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastErrorFingerprint: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      ...NO_INFLIGHT_VALUES,
      ...(conn.lastUsedAt !== undefined ? { lastUsedAt: conn.lastUsedAt } : {}),
      // A new grant has a new hard deadline: its warnings start over.
      reconnectWarnedDays: null,
    };
    return this.run('save a connection', async () => {
      // Reconnect is the common case: UPDATE first; INSERT only when the row does not exist yet.
      // Two concurrent first connects: the loser's INSERT hits the unique key and retries the UPDATE.
      for (let attempt = 0; attempt < 3; attempt++) {
        // A reconnect fences every holder of the old tokens (I9), and retires the token it replaces.
        const updated = await this.update(
          {
            ...retireReplaced(),
            ...values,
            leaseGeneration: () => BUILT_SET.nextGeneration,
            version: () => BUILT_SET.nextVersion,
            updatedAt: () => this.dialect.nowMs,
          },
          ref,
        )
          .setParameters({ replacedBy: values.refreshTokenFingerprint, revokeDueAt: conn.revokeReplacedAt?.getTime() ?? 0 })
          .execute();
        if (!updated.affected) {
          try {
            await this.dataSource
              .createQueryBuilder()
              .insert()
              .into(Row)
              .values({
                ...ref,
                ...values,
                leaseGeneration: 1,
                version: 1,
                createdAt: () => this.dialect.nowMs,
                updatedAt: () => this.dialect.nowMs,
              })
              .execute();
          } catch (err) {
            if (this.dialect.isDuplicateKey(driverErrorCode(err))) continue;
            throw err;
          }
        }
        const row = await this.readRow(ref);
        if (row) return this.toStored(row);
      }
      throw new StorageError(
        `Token storage (${this.kind}) could not save the connection: it kept changing concurrently`,
        'storage_conflict',
      );
    });
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number, options?: AcquireOptions): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const mysql = !this.dialect.updateReturning;
    const begin = options?.beginCalls === true;
    const statement = this.statements.acquireLease(ref, owner, ttl, begin);
    const basis = mysql && options?.basis ? this.basisFor(options.basis, ref) : null;
    let opened: JustOpened | undefined;
    const row = await this.run('acquire a lease', async () => {
      if (!mysql) return (await this.rowsOf<ConnectionRow>(this.statements.returning(statement)))[0] ?? null;
      if (basis) {
        const onBasis = await this.writeBy(this.statements.acquireLease(ref, owner, ttl, begin, Number(basis.row.version)));
        if (onBasis.affected === 1) {
          // The row was the basis, so the generation before ours was the basis's: the row is now
          // the basis with what this UPDATE assigned. Anything else is read back, as below.
          if (onBasis.lastInsertId !== Number(basis.row.lease_generation) + 1) return this.acquiredRow(ref, onBasis);
          opened = { accessTokenEnc: textOf(basis.row.access_token_enc)!, accessToken: basis.accessToken };
          return leasedOnBasis(basis.row, owner, ttl, begin, onBasis.lastInsertId);
        }
        // The row moved since the caller read it (or another owner holds the lease): as without a basis.
      }
      const written = await this.writeBy(statement);
      if (written.affected !== 1) return null;
      return this.acquiredRow(ref, written);
    });
    // Opened here, under the lease we hold, as a re-read would be: a refresh token that cannot be
    // decrypted throws DecryptionError (no token text) just the same.
    return row && row.lease_owner === owner ? this.toStored(row, opened) : null;
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    return this.run('renew a lease', async () => (await this.affectedBy(this.statements.renewLease(ref, lease, ttl))) === 1);
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    await this.run('release a lease', () => this.affectedBy(this.statements.releaseLease(ref, lease)));
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    return this.run(
      'record a token call',
      async () => (await this.affectedBy(this.statements.beginCall(ref, lease, call.fingerprint, budget, ttl))) === 1,
    );
  }

  async compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    result: RefreshResult,
    lease: Lease,
    basis?: StoredConnection,
  ): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const sealed = this.sealTokens(ref, result.accessToken, result.refreshToken);
    const rotated = sealed.refreshTokenFingerprint !== expectedFingerprint;
    const written: JustWritten = {
      accessTokenEnc: sealed.accessTokenEnc.value,
      accessToken: result.accessToken,
      refreshTokenEnc: sealed.refreshTokenEnc.value,
      refreshToken: result.refreshToken,
    };
    // MySQL, with the holder's basis: the UPDATE says, through LAST_INSERT_ID, the version it
    // wrote and whether the lease was still ours (then every other column is the basis's or ours).
    const learn =
      !this.dialect.updateReturning && basis !== undefined && sameConnection(basis, ref) && basis.leaseGeneration === lease.generation;
    const statement = this.statements.compareAndSwapTokens(
      ref,
      expectedFingerprint,
      {
        // The same guard as the token columns' transformer: only sealed values reach them.
        accessTokenEnc: guardSealed(sealed.accessTokenEnc),
        refreshTokenEnc: guardSealed(sealed.refreshTokenEnc),
        refreshTokenFingerprint: sealed.refreshTokenFingerprint,
        accessTokenExpiresAt: epochMsParam(result.accessTokenExpiresAt),
        refreshTokenExpiresAt: epochMsParam(result.refreshTokenExpiresAt),
        refreshTokenHardExpiresAt: epochMsParam(result.refreshTokenHardExpiresAt),
        nextRefreshAt: epochMsParam(result.nextRefreshAt),
      },
      lease,
      rotated,
      learn,
    );
    if (learn) {
      const outcome = await this.run('store refreshed tokens', () => this.writeBy(statement));
      if (outcome.affected !== 1) return null;
      // Our lease ended with the write: the row is the basis with what we wrote on top. Another
      // holder's lease (a rotated answer landing after a takeover) is read back as it is.
      if (outcome.lastInsertId % 2 === 1)
        return swappedFrom(basis!, sealed.refreshTokenFingerprint, result, (outcome.lastInsertId - 1) / 2);
      const row = await this.run('read a connection', () => this.readRow(ref));
      return row ? this.toStored(row, written) : null;
    }
    const row = await this.run('store refreshed tokens', () => this.updateAndRead(statement, ref));
    // What was read back is what is stored; the ciphertexts just written need no decryption.
    return row ? this.toStored(row, written) : null;
  }

  async recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    const values = this.changeValues({
      failureCount: failure.failureCount,
      nextAttemptAt: failure.nextAttemptAt,
      lastErrorCode: failure.lastErrorCode,
      ...NO_INFLIGHT_VALUES,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    // Only the lease holder records; status is never touched here (I4).
    await this.run('record a refresh failure', () =>
      this.update(values, ref)
        .andWhere(BUILT_WHERE.holderOfActive, {
          owner: lease.owner,
          generation: lease.generation,
        })
        .execute(),
    );
  }

  async markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean> {
    assertValidConnectionRef(ref);
    const values = this.changeValues({
      status: mark.pendingUntil ? 'reauth_pending' : 'needs_reauth',
      lastErrorCode: mark.errorCode,
      lastErrorFingerprint: mark.fingerprint,
      // Parked: reconciled (leased again) once the earlier call's rotation can no longer commit.
      ...(mark.pendingUntil ? { nextRefreshAt: mark.pendingUntil } : {}),
      nextAttemptAt: null,
      ...NO_INFLIGHT_VALUES,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    return this.run('mark a connection for reauthorization', async () => {
      // Only a refused token that is still the stored one, and only by the lease holder (I4, I9).
      const marked = await this.update(values, ref)
        .andWhere(BUILT_WHERE.holderOfRefused, {
          fingerprint: mark.fingerprint,
          owner: lease.owner,
          generation: lease.generation,
        })
        .execute();
      return marked.affected === 1;
    });
  }

  async markRevoked(ref: ConnectionRef, fence?: RevokeFence): Promise<boolean> {
    assertValidConnectionRef(ref);
    assertValidRevokeFence(fence);
    const values = this.changeValues({
      status: 'revoked',
      accessTokenEnc: null,
      refreshTokenEnc: null,
      refreshTokenFingerprint: null,
      ...NO_INFLIGHT_VALUES,
      leaseOwner: null,
      leaseExpiresAt: null,
      // Fences any holder of the revoked tokens (I9).
      leaseGeneration: () => BUILT_SET.nextGeneration,
    });
    return this.run('revoke a connection', async () => {
      const update = this.update(values, ref);
      // Fenced: the same statement checks that the refused grant is still the stored one, so a
      // reconnect committed a moment before is never wiped.
      if (fence)
        update.andWhere(BUILT_WHERE.refusedGrant, {
          refusedFingerprint: fence.refusedFingerprint,
        });
      return ((await update.execute()).affected ?? 0) > 0;
    });
  }

  async markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean> {
    assertValidConnectionRef(ref);
    const retire = BUILT_SET.retireCurrent;
    const values = this.changeValues({
      // First: MySQL assigns left to right, and these read the refresh token columns wiped below.
      revokeTokenEnc: () => retire.revokeTokenEnc,
      revokeTokenFingerprint: () => retire.revokeTokenFingerprint,
      revokeAttempts: () => retire.revokeAttempts,
      revokeDueAt: retry.retryAt,
      status: 'revoke_pending',
      accessTokenEnc: null,
      refreshTokenEnc: null,
      refreshTokenFingerprint: null,
      lastErrorCode: retry.errorCode,
      ...NO_INFLIGHT_VALUES,
      leaseOwner: null,
      leaseExpiresAt: null,
      // Fences any holder of the disconnected tokens (I9).
      leaseGeneration: () => BUILT_SET.nextGeneration,
    });
    return this.run(
      'mark a revoke pending',
      async () => ((await this.update(values, ref).andWhere(BUILT_WHERE.notRevoked).execute()).affected ?? 0) > 0,
    );
  }

  async claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]> {
    const max = assertValidLimit(limit);
    const hold = assertValidTtl(holdMs);
    if (only) assertValidConnectionRef(only);
    const t = now.getTime();
    // Due (or the one asked for), soonest first; the claim pushes the due time out by `hold`.
    const rows = await this.run('claim pending revocations', async (): Promise<RevocationRow[]> => {
      if (this.kind === 'typeorm-sqlite')
        return this.rowsOf<RevocationRow>(this.statements.claimRevocationsReturning(t, t + hold, max, only));
      if (this.kind === 'typeorm-postgres') {
        // On the driver itself: TypeORM's query() hands back [rows, count] for an UPDATE on PostgreSQL.
        const picked = await this.rowsOf<RevocationRow & { was_due: unknown; picked_id: unknown }>(
          this.statements.claimRevocationsPicked(t, t + hold, max, only),
        );
        return picked.sort((a, b) => Number(a.was_due) - Number(b.was_due) || Number(a.id) - Number(b.id));
      }
      return this.dataSource.transaction('READ COMMITTED', async (manager: EntityManager) => {
        const locked: RevocationRow[] = await queryIn(manager, this.statements.claimRevocationsLock(t, max, only));
        if (locked.length)
          await queryIn(
            manager,
            this.statements.claimRevocationsHold(
              locked.map((r) => r.id),
              t + hold,
            ),
          );
        return locked;
      });
    });
    return rows.map((row) => {
      const ref = { tenantId: row.tenant_id, realmId: row.realm_id };
      const sealed = textOf(row.revoke_token_enc);
      return {
        ...ref,
        refreshToken: sealed === null ? null : openOrNull(() => openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, sealed)),
        fingerprint: row.revoke_token_fp as string,
        attempts: Number(row.revoke_attempts ?? 0),
        disconnecting: row.status === 'revoke_pending',
      };
    });
  }

  async recordUse(ref: ConnectionRef, use: ConnectionUse): Promise<void> {
    assertValidConnectionRef(ref);
    await this.run('record a connection use', () => this.affectedBy(this.statements.recordUse(ref, use)));
  }

  async settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean> {
    assertValidConnectionRef(ref);
    const values = this.changeValues(
      retryAt
        ? { revokeDueAt: retryAt, revokeAttempts: () => BUILT_SET.nextRevokeAttempt }
        : {
            revokeTokenEnc: null,
            revokeTokenFingerprint: null,
            revokeDueAt: null,
            revokeAttempts: 0,
            status: () => BUILT_SET.revokedIfDisconnecting,
          },
    );
    return this.run('settle a revocation', async () => {
      const settled = await this.update(values, ref).andWhere(BUILT_WHERE.revocationOf, { fingerprint }).execute();
      return settled.affected === 1;
    });
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.run('delete a connection', async () => {
      const deleted = await this.dataSource.createQueryBuilder().delete().from(Row).where(BUILT_WHERE.byRef, ref).execute();
      return (deleted.affected ?? 0) > 0;
    });
  }

  async claimDue(
    now: Date,
    limit: number,
    owner: string,
    ttlMs: number,
    onUndecryptable?: (row: UndecryptableConnection) => void,
    options?: ClaimOptions,
  ): Promise<StoredConnection[]> {
    const max = assertValidLimit(limit);
    const ttl = assertValidTtl(ttlMs);
    const begin = options?.beginCalls === true;
    const rows = await this.run('claim due connections', () =>
      this.dialect.updateReturning
        ? this.claimDueReturning(now.getTime(), max, owner, ttl, begin)
        : this.claimDueMysql(now.getTime(), max, owner, ttl, begin),
    );
    const claimed: StoredConnection[] = [];
    for (const row of rows) {
      // An undecryptable row stays leased until its TTL passes (a natural back-off before it is
      // reported again) and must not block the rest of the batch (I8).
      const record = this.toRecord(row);
      if (isUndecryptable(record)) onUndecryptable?.(record);
      else claimed.push(record);
    }
    return claimed;
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const t = now.getTime();
    const raw: Array<Record<string, unknown>> = await this.run('compute stats', () => this.query(this.statements.stats(t, withinMs)));
    const stats: StorageStats = {
      byStatus: Object.fromEntries(CONNECTION_STATUSES.map((status) => [status, 0])) as Record<ConnectionStatus, number>,
      accessExpiringSoon: 0,
      accessExpired: 0,
      soonestAccessExpiry: null,
      soonestRefreshExpiry: null,
      staleLeases: 0,
    };
    for (const r of raw) {
      const status = r.status as ConnectionStatus;
      if (status in stats.byStatus) stats.byStatus[status] = Number(r.total);
      stats.staleLeases += Number(r.stale ?? 0);
      if (status !== 'active') continue;
      stats.accessExpiringSoon = Number(r.expiring ?? 0);
      stats.accessExpired = Number(r.expired ?? 0);
      stats.soonestAccessExpiry = r.soonest_access == null ? null : new Date(Number(r.soonest_access));
      stats.soonestRefreshExpiry = r.soonest_refresh == null ? null : new Date(Number(r.soonest_refresh));
    }
    return stats;
  }

  async ping(): Promise<void> {
    await this.run('reach the database', () => this.dataSource.query(this.statements.ping().sql));
  }

  async listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }> {
    const max = assertValidLimit(limit);
    if (afterCursor !== null && !/^\d{1,19}$/.test(afterCursor))
      throw new StorageError('listRefs cursor is not one this storage returned', 'invalid_cursor');
    const raw: Array<{ id: unknown; tenant_id: string; realm_id: string }> = await this.run('list connection refs', () =>
      this.query(this.statements.listRefs(afterCursor ?? '0', max)),
    );
    return {
      refs: raw.map((r) => ({ tenantId: r.tenant_id, realmId: r.realm_id })),
      nextCursor: raw.length === max ? String(raw[raw.length - 1].id) : null,
    };
  }

  async reencrypt(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.run('re-encrypt a connection', async () => {
      // A pending revocation is sealed too, and must outlive the old key as well.
      const pending = await this.reencryptPendingRevocation(ref);
      const row = await this.readRow(ref);
      const oldAccess = textOf(row?.access_token_enc);
      const oldRefresh = textOf(row?.refresh_token_enc);
      if (!oldAccess || !oldRefresh) return pending;
      if (!this.cipher.needsReencryption(oldAccess) && !this.cipher.needsReencryption(oldRefresh)) return pending;
      const sealed = this.sealTokens(
        ref,
        openToken(this.cipher, ref, ACCESS_TOKEN_FIELD, oldAccess),
        openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, oldRefresh),
      );
      // CAS on the ciphertexts we read: a refresh that stored new tokens meanwhile wins. The
      // fingerprint is kept as is: an in-flight refresh fences on it, and it is an opaque value.
      const rewritten = await this.update(
        this.changeValues({ accessTokenEnc: sealed.accessTokenEnc, refreshTokenEnc: sealed.refreshTokenEnc }),
        ref,
      )
        .andWhere(BUILT_WHERE.sameCiphertexts, { oldAccess, oldRefresh })
        .execute();
      return rewritten.affected === 1 || pending;
    });
  }

  /** Re-seals a pending revocation under the newest key; CAS on the ciphertext read. True if rewritten. */
  private async reencryptPendingRevocation(ref: ConnectionRef): Promise<boolean> {
    const rows: Array<{ revoke_token_enc: string | Buffer | null }> = await this.query(this.statements.readRevokeToken(ref));
    const old = textOf(rows[0]?.revoke_token_enc);
    if (!old || !this.cipher.needsReencryption(old)) return false;
    // It was the refresh token column's value: same AAD field.
    const resealed = new SealedToken(
      sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, old)),
    );
    const rewritten = await this.update(this.changeValues({ revokeTokenEnc: resealed }), ref)
      .andWhere(BUILT_WHERE.sameRevocationCiphertext, { old })
      .execute();
    return rewritten.affected === 1;
  }

  async claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean> {
    assertValidConnectionRef(ref);
    const days = assertValidHorizonDays(horizonDays);
    return this.run(
      'record a reconnect warning',
      async () => (await this.affectedBy(this.statements.claimReconnectWarning(ref, days, now))) === 1,
    );
  }

  async listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage> {
    const max = assertValidLimit(limit);
    const after = decodeReconnectCursor(afterCursor);
    const rows = await this.run('list connections to reconnect', () =>
      this.query<ConnectionRow[]>(this.statements.listReconnectDue(before, after, max)),
    );
    const connections = rows.map((row) => {
      const {
        accessToken: _a,
        refreshToken: _r,
        ...rest
      } = toStoredConnection({ ...row, access_token_enc: null, refresh_token_enc: null }, null);
      return rest;
    });
    const last = connections[connections.length - 1];
    return {
      connections,
      nextCursor:
        connections.length === max
          ? encodeReconnectCursor({
              hardExpiresAt: last.refreshTokenHardExpiresAt!.getTime(),
              tenantId: last.tenantId,
              realmId: last.realmId,
            })
          : null,
    };
  }

  async listRefsByRealm(realmId: string, limit: number): Promise<ConnectionRef[]> {
    assertValidConnectionRef({ tenantId: 'any', realmId });
    const max = assertValidLimit(limit);
    const rows: Array<{ tenant_id: string; realm_id: string }> = await this.run('list connections of a company', () =>
      this.query(this.statements.listRefsByRealm(realmId, max)),
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, realmId: r.realm_id }));
  }

  // ---------------------------------------------------------------------------------------------

  /** MySQL/MariaDB: one short READ COMMITTED transaction (no gap locks), SKIP LOCKED so claimers never wait on each other. */
  private claimDueMysql(due: number, limit: number, owner: string, ttl: number, begin: boolean): Promise<ConnectionRow[]> {
    return this.dataSource.transaction('READ COMMITTED', async (manager: EntityManager) => {
      const locked: Array<ConnectionRow & { db_now: unknown }> = await queryIn(manager, this.statements.claimDueLock(due, limit));
      if (locked.length === 0) return [];
      const dbNow = Number(locked[0].db_now);
      const leaseExpiresAt = dbNow + ttl;
      // The rows are locked: which ones may have their call begun is decided on what was read.
      const begun = begin ? locked.filter((r) => mayBeginOnClaim(r)) : [];
      await queryIn(
        manager,
        this.statements.claimDueLease(
          locked.map((r) => r.id),
          begun.map((r) => r.id),
          owner,
          leaseExpiresAt,
          dbNow,
        ),
      );
      const begunIds = new Set(begun.map((r) => r.id));
      // The rows are locked until COMMIT: what was written on top of what was read is what is stored.
      return locked.map(({ db_now: _, ...r }) => ({
        ...r,
        lease_owner: owner,
        lease_expires_at: leaseExpiresAt,
        lease_generation: Number(r.lease_generation) + 1,
        version: Number(r.version) + 1,
        updated_at: dbNow,
        ...(begunIds.has(r.id)
          ? {
              inflight_fp: r.refresh_token_fp,
              inflight_owner: owner,
              inflight_generation: Number(r.lease_generation) + 1,
              inflight_started_at: dbNow,
              inflight_deadline_at: leaseExpiresAt,
            }
          : {}),
      }));
    });
  }

  /**
   * One UPDATE ... RETURNING, atomic without a transaction. SQLite: a single writer. PostgreSQL:
   * the subquery locks the rows it picks and skips rows another claimer holds (SKIP LOCKED), and
   * re-checks its condition on a row that changed meanwhile, so no row is claimed twice.
   */
  private async claimDueReturning(due: number, limit: number, owner: string, ttl: number, begin: boolean): Promise<ConnectionRow[]> {
    // On the driver itself: TypeORM's query() hands back [rows, count] for an UPDATE on PostgreSQL.
    const rows = await this.rowsOf<ConnectionRow>(this.statements.claimDueReturning(due, limit, owner, ttl, begin));
    // RETURNING order is unspecified.
    return rows.sort((a, b) => Number(a.next_refresh_at) - Number(b.next_refresh_at) || Number(a.id) - Number(b.id));
  }

  /**
   * MySQL, after an acquisition's UPDATE took the lease: the row read back, if it still carries the
   * generation that UPDATE wrote. A revoke, reconnect or another acquisition in between (even by
   * this owner) means the lease this call took is gone again: two callers must never share a generation.
   */
  private async acquiredRow(ref: ConnectionRef, written: WriteResult): Promise<ConnectionRow | null> {
    const reread = await this.readRow(ref);
    return reread && Number(reread.lease_generation) === written.lastInsertId ? reread : null;
  }

  /**
   * The row behind `basis` when an acquisition can be built on it: this store's own read of this
   * ref (I7), active with a refresh token, no lease and no in-flight record at all. An earlier
   * holder's record, resolved or not, is left to the re-read: waiting it out needs the store's clock
   * at the acquisition (updatedAt), which only a read of the row gives. A lease held at the read is
   * left to the plain acquisition, so contention costs what it did (one UPDATE when it is live).
   */
  private basisFor(basis: ConnectionForAccess, ref: ConnectionRef): AccessRead | null {
    const read = this.accessReads.get(basis);
    if (!read) return null;
    const { row } = read;
    const learnable =
      row.tenant_id === ref.tenantId &&
      row.realm_id === ref.realmId &&
      row.status === 'active' &&
      row.refresh_token_enc !== null &&
      row.refresh_token_fp !== null &&
      row.lease_owner === null &&
      (row.inflight_fp === null || row.inflight_fp === undefined);
    return learnable ? read : null;
  }

  /** One connection by tenant + realm (I7), from the primary: a replica may lag behind a refresh and hand out a superseded token (I3). */
  private async readRow(ref: ConnectionRef): Promise<ConnectionRow | null> {
    const rows = await this.rowsOf<ConnectionRow>(this.statements.readByRef(ref));
    return rows[0] ?? null;
  }

  /**
   * A conditional UPDATE of one connection, then the row as stored after it, or null when the
   * condition did not hold. SQLite and PostgreSQL: one UPDATE ... RETURNING. MySQL: the UPDATE,
   * then a prepared re-read on the primary (2 statements).
   */
  private async updateAndRead(statement: Statement, ref: ConnectionRef): Promise<ConnectionRow | null> {
    if (this.dialect.updateReturning) {
      const rows = await this.rowsOf<ConnectionRow>(this.statements.returning(statement));
      return rows[0] ?? null;
    }
    return (await this.affectedBy(statement)) ? this.readRow(ref) : null;
  }

  /** Rows of a hot statement, prepared on the driver itself (DirectSql, primary only). */
  private rowsOf<T>(statement: Statement): Promise<T[]> {
    return this.sql.rows<T>(statement.sql, statement.params);
  }

  /** Rows a hot UPDATE matched (DirectSql). */
  private affectedBy(statement: Statement): Promise<number> {
    return this.sql.affected(statement.sql, statement.params);
  }

  /** What a hot UPDATE reports, with MySQL's LAST_INSERT_ID (DirectSql). */
  private writeBy(statement: Statement): Promise<WriteResult> {
    return this.sql.write(statement.sql, statement.params);
  }

  /** A statement off the hot path through TypeORM, written with `?` placeholders like the hot ones. */
  private query<T = unknown>(statement: Statement): Promise<T> {
    return this.dataSource.query(this.dialect.bind(statement.sql), statement.params);
  }

  /** A conditional UPDATE scoped to one tenant + realm (I7); callers add their rule with andWhere. */
  private update(values: RowValues, ref: ConnectionRef): UpdateQueryBuilder<Row> {
    return this.dataSource
      .createQueryBuilder()
      .update(Row)
      .set(values)
      .where(BUILT_WHERE.byRef, { tenantId: ref.tenantId, realmId: ref.realmId });
  }

  /** Every write bumps the version and stamps updated_at from the database clock. */
  private changeValues(values: RowValues): RowValues {
    return { ...values, version: () => BUILT_SET.nextVersion, updatedAt: () => this.dialect.nowMs };
  }

  private sealTokens(ref: ConnectionRef, accessToken: string, refreshToken: string) {
    return {
      accessTokenEnc: new SealedToken(sealToken(this.cipher, ref, ACCESS_TOKEN_FIELD, accessToken)),
      refreshTokenEnc: new SealedToken(sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, refreshToken)),
      refreshTokenFingerprint: this.cipher.fingerprint(refreshToken),
    };
  }

  private toStored(row: ConnectionRow, written?: JustWritten | JustOpened): StoredConnection {
    return toStoredConnection(row, this.cipher, written);
  }

  private toRecord(row: ConnectionRow): ConnectionRecord {
    return recordOf({ tenantId: row.tenant_id, realmId: row.realm_id }, (withTokens) =>
      toStoredConnection(row, withTokens ? this.cipher : null),
    );
  }

  /**
   * Runs one operation, mapping driver errors to StorageError. InnoDB (or PostgreSQL) may pick a
   * claim transaction or a conditional UPDATE as a deadlock victim; it was rolled back whole and every operation
   * here re-checks its condition, so it is retried (twice at most).
   */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await deadlockRetry(this.dialect).execute(() => fn());
    } catch (err) {
      throw toStorageError(err, this.kind, operation);
    }
  }
}

/** A row getForAccess read (MySQL), with the access token it opened. */
interface AccessRead {
  row: ConnectionRow;
  accessToken: string;
}

/**
 * The row after an acquisition on the caller's basis (MySQL, no re-read): the basis row, with every
 * column the UPDATE assigned. The call is begun exactly as the UPDATE's own condition decides
 * (MAY_BEGIN_ON_CLAIM, which basisFor's rules make true). Not read back: the lease expiry, the
 * call's start and deadline and updatedAt are this process's clock just after the write (stored:
 * the database's; the holder times its send from its own clock read before the write, and waits out
 * only an earlier holder's call, which basisFor excludes); lastUsedAt, nextRefreshAt and
 * reconnectWarnedDays as of the basis (recordUse and claimReconnectWarning do not bump the version).
 */
function leasedOnBasis(row: ConnectionRow, owner: string, ttl: number, begin: boolean, generation: number): ConnectionRow {
  const at = Date.now();
  return {
    ...row,
    lease_owner: owner,
    lease_expires_at: at + ttl,
    lease_generation: generation,
    version: Number(row.version) + 1,
    updated_at: at,
    ...(begin && mayBeginOnClaim(row)
      ? {
          inflight_fp: row.refresh_token_fp,
          inflight_owner: owner,
          inflight_generation: generation,
          inflight_started_at: at,
          inflight_deadline_at: at + ttl,
        }
      : {}),
  };
}

interface RevocationRow {
  id: string | number;
  tenant_id: string;
  realm_id: string;
  status: string;
  revoke_token_enc: string | Buffer | null;
  revoke_token_fp: string | null;
  revoke_attempts: string | number | null;
}

/**
 * saveConnection's assignments that make the refresh token it replaces the pending revocation
 * (when there is one and it differs from the new one: parameter `replacedBy`), due at
 * `revokeDueAt`; otherwise the pending revocation is kept. Spread first: MySQL assigns left to
 * right, and these must read the old refresh token columns.
 */
function retireReplaced(): RowValues {
  const retire = BUILT_SET.retireReplaced;
  return {
    revokeTokenEnc: () => retire.revokeTokenEnc,
    revokeTokenFingerprint: () => retire.revokeTokenFingerprint,
    revokeDueAt: () => retire.revokeDueAt,
    revokeAttempts: () => retire.revokeAttempts,
  };
}

/** A statement of a MySQL claim inside its transaction (MySQL placeholders are `?` as written). */
function queryIn<T>(manager: EntityManager, statement: Statement): Promise<T> {
  return manager.query(statement.sql, statement.params);
}

/** MAY_BEGIN_ON_CLAIM (connection-statements) on a row MySQL's claim has read and locked. */
function mayBeginOnClaim(row: ConnectionRow): boolean {
  if (row.status !== 'active' || row.refresh_token_fp === null) return false;
  return !(row.inflight_fp !== null && row.inflight_fp === row.refresh_token_fp);
}

/** The basis is the row this ref names (I7: an answer is never built from another tenant's row). */
function sameConnection(basis: StoredConnection, ref: ConnectionRef): boolean {
  return basis.tenantId === ref.tenantId && basis.realmId === ref.realmId;
}

/**
 * The row after a swap that ended the holder's own lease (MySQL, no re-read): the basis, with every
 * column the swap assigned. Not read back: updatedAt and lastRefreshedAt are this process's clock
 * (stored: the database's), lastUsedAt and reconnectWarnedDays as of the basis (recordUse and
 * claimReconnectWarning do not bump the version).
 */
function swappedFrom(basis: StoredConnection, fingerprint: string, result: RefreshResult, version: number): StoredConnection {
  const at = new Date();
  return {
    ...basis,
    status: 'active',
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    refreshTokenFingerprint: fingerprint,
    accessTokenExpiresAt: result.accessTokenExpiresAt,
    refreshTokenExpiresAt: result.refreshTokenExpiresAt,
    refreshTokenHardExpiresAt: result.refreshTokenHardExpiresAt,
    nextRefreshAt: result.nextRefreshAt,
    failureCount: 0,
    nextAttemptAt: null,
    lastErrorCode: null,
    lastErrorFingerprint: null,
    lastRefreshedAt: at,
    inflight: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    version,
    updatedAt: at,
  };
}

/** The entity values that clear the in-flight record. */
const NO_INFLIGHT_VALUES = {
  inflightFingerprint: null,
  inflightOwner: null,
  inflightGeneration: null,
  inflightStartedAt: null,
  inflightDeadlineAt: null,
};

/** A sealed token through the token columns' guard transformer (throws for anything unsealed). */
function guardSealed(token: SealedToken): string {
  return sealedTokenTransformer.to(token) as string;
}

/** A Date as the epoch-ms value of a BIGINT time column (the entity's epoch-ms transformer). */
function epochMsParam(value: Date | null): number | null {
  return (epochMsTransformer.to(value) as number | null | undefined) ?? null;
}
