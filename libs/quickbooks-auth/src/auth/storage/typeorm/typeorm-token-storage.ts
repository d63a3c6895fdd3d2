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
import { RECONNECT_LISTED_STATUSES, assertValidHorizonDays, decodeReconnectCursor, encodeReconnectCursor } from '../reconnect-cursor';
import { openOrNull } from '../pending-revocation';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { isUndecryptable, recordOf } from '../undecryptable-record';
import { CONNECTION_COLUMNS, textOf, toAccessConnection, toStoredConnection, type ConnectionRow, type JustWritten } from './connection-row';
import { DirectSql, type SqlParam } from './direct-sql';
import { QuickBooksConnectionEntity as Row } from './quickbooks-connection.entity';
import { SealedToken } from './sealed-token';
import { sealedTokenTransformer } from './sealed-token.transformer';
import { epochMsTransformer } from './epoch-ms.transformer';
import { sqlDialectFor, type SqlDialect, type TypeOrmStorageKind } from './sql-dialect';
import { deadlockRetry } from './deadlock-retry';
import { driverErrorCode, toStorageError } from './storage-error.mapper';

const TABLE = 'quickbooks_connections';
const BY_REF = 'tenant_id = :tenantId AND realm_id = :realmId';
const SELECT_BY_REF = `SELECT ${CONNECTION_COLUMNS} FROM ${TABLE} WHERE tenant_id = ? AND realm_id = ?`;
const SELECT_BY_TENANT = `SELECT ${CONNECTION_COLUMNS} FROM ${TABLE} WHERE tenant_id = ? ORDER BY id`;
/** Statuses a lease (and a claim) can be taken on: reauth_pending is leased to be reconciled. */
const LEASABLE = `status IN ('active', 'reauth_pending')`;
/** `lease` (owner, generation) still holds the row: the fence every holder's write checks (I9). */
const HOLDS = 'lease_owner = ? AND lease_generation = ?';
/** Statuses the reconnect campaign lists and warns about: every connection not disconnected. */
const RECONNECT_LISTED = `status IN (${RECONNECT_LISTED_STATUSES.map((st) => `'${st}'`).join(', ')})`;
const DAY_MS = 86_400_000;
const NO_INFLIGHT =
  'inflight_fp = NULL, inflight_owner = NULL, inflight_generation = NULL, inflight_started_at = NULL, inflight_deadline_at = NULL';

/** Refreshed ahead by the scheduler, not kept alive only (StorageStats). */
const AHEAD = 'next_refresh_at <= access_token_expires_at';

/** recordUse in one prepared statement (TokenStorage.recordUse): no version bump, active rows only. */
const RECORD_USE =
  `UPDATE ${TABLE} SET` +
  ' next_refresh_at = CASE WHEN access_token_expires_at = ? AND next_refresh_at > ? THEN ? ELSE next_refresh_at END,' +
  ' last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END' +
  ` WHERE tenant_id = ? AND realm_id = ? AND status = 'active'`;

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

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: TokenCipher,
  ) {
    this.dialect = sqlDialectFor(dataSource);
    this.kind = this.dialect.kind;
    this.sql = new DirectSql(dataSource, this.dialect);
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
    return row ? toAccessConnection(row, this.cipher) : null;
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    assertValidTenantId(tenantId);
    const rows = await this.run('list connections', () => this.sql.rows<ConnectionRow>(SELECT_BY_TENANT, [tenantId]));
    return rows.map((row) => this.toStored(row));
  }

  async getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    assertValidConnectionRef(ref);
    const row = await this.run('read a connection', () => this.readRow(ref));
    return row ? this.toRecord(row) : null;
  }

  async listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]> {
    assertValidTenantId(tenantId);
    const rows = await this.run('list connections', () => this.sql.rows<ConnectionRow>(SELECT_BY_TENANT, [tenantId]));
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
            leaseGeneration: () => 'lease_generation + 1',
            version: () => 'version + 1',
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

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number, options?: ClaimOptions): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const now = this.dialect.nowMs;
    const mysql = !this.dialect.updateReturning;
    const begin = options?.beginCalls === true;
    // Begin the call in the same write (claimDue beginCalls). MySQL assigns left to right:
    // inflight_owner first, on the old row, and the rest follow it (the owner is new); elsewhere
    // every assignment sees the old row and repeats the condition.
    const may = MAY_BEGIN_ON_CLAIM;
    const began = mysql ? 'inflight_owner <=> ?' : may;
    const beginSet = begin
      ? `inflight_owner = CASE WHEN ${may} THEN ? ELSE inflight_owner END,` +
        ` inflight_fp = CASE WHEN ${began} THEN refresh_token_fp ELSE inflight_fp END,` +
        ` inflight_started_at = CASE WHEN ${began} THEN ${now} ELSE inflight_started_at END,` +
        ` inflight_deadline_at = CASE WHEN ${began} THEN ${now} + ${ttl} ELSE inflight_deadline_at END,` +
        ` inflight_generation = CASE WHEN ${began} THEN lease_generation + 1 ELSE inflight_generation END, `
      : '';
    const beginParams = begin ? [owner, ...(mysql ? [owner, owner, owner, owner] : [])] : [];
    const sql =
      `UPDATE ${TABLE} SET ${beginSet}lease_owner = ?, lease_expires_at = ${now} + ${ttl},` +
      ` lease_generation = ${mysql ? 'LAST_INSERT_ID(lease_generation + 1)' : 'lease_generation + 1'}, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${LEASABLE} AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ${now})`;
    const params = [...beginParams, owner, ref.tenantId, ref.realmId, owner];
    const row = await this.run('acquire a lease', async () => {
      if (!mysql) return (await this.sql.rows<ConnectionRow>(`${sql} RETURNING ${CONNECTION_COLUMNS}`, params))[0] ?? null;
      const written = await this.sql.write(sql, params);
      if (written.affected !== 1) return null;
      const reread = await this.readRow(ref);
      // A revoke, reconnect or another acquisition in between (even by this owner) means the lease
      // this call took is gone again: two callers must never share a generation.
      return reread && Number(reread.lease_generation) === written.lastInsertId ? reread : null;
    });
    return row && row.lease_owner === owner ? this.toStored(row) : null;
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const now = this.dialect.nowMs;
    // An expired lease can be renewed only while nobody else took it over (the generation says).
    const sql = `UPDATE ${TABLE} SET lease_expires_at = ${now} + ${ttl}, version = version + 1, updated_at = ${now} WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS}`;
    return this.run(
      'renew a lease',
      async () => (await this.sql.affected(sql, [ref.tenantId, ref.realmId, lease.owner, lease.generation])) === 1,
    );
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    const now = this.dialect.nowMs;
    // The in-flight record goes only if this lease's own call made it (the WHERE pins
    // lease_generation, which this UPDATE never assigns); inflight_generation is assigned last.
    const mine = 'inflight_generation = lease_generation';
    const sql =
      `UPDATE ${TABLE} SET` +
      ['inflight_fp', 'inflight_owner', 'inflight_started_at', 'inflight_deadline_at', 'inflight_generation']
        .map((col) => ` ${col} = CASE WHEN ${mine} THEN NULL ELSE ${col} END,`)
        .join('') +
      ` lease_owner = NULL, lease_expires_at = NULL, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS}`;
    await this.run('release a lease', () => this.sql.affected(sql, [ref.tenantId, ref.realmId, lease.owner, lease.generation]));
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    const now = this.dialect.nowMs;
    // An earlier holder's call with this very token may still be answered until its deadline:
    // wait it out. refresh_token_fp is pinned non-null by the WHERE, so the NOT never sees NULL.
    const unresolved =
      'inflight_fp IS NOT NULL AND inflight_fp = refresh_token_fp AND (inflight_generation IS NULL OR inflight_generation <> ?)' +
      ` AND COALESCE(inflight_deadline_at, 0) > ${now}`;
    const sql =
      `UPDATE ${TABLE} SET inflight_fp = ?, inflight_owner = ?, inflight_generation = ?, inflight_started_at = ${now},` +
      ` inflight_deadline_at = ${now} + ${budget}, lease_expires_at = ${now} + ${ttl}, version = version + 1, updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND ${HOLDS} AND status = 'active' AND refresh_token_fp = ?` +
      ` AND lease_expires_at >= ${now} + ${budget} AND NOT (${unresolved})`;
    const params = [
      call.fingerprint,
      lease.owner,
      lease.generation,
      ref.tenantId,
      ref.realmId,
      lease.owner,
      lease.generation,
      call.fingerprint,
      lease.generation,
    ];
    return this.run('record a token call', async () => (await this.sql.affected(sql, params)) === 1);
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
    const now = this.dialect.nowMs;
    // Rotated: the fingerprint fence only, never the generation (these tokens are now the only
    // live ones); revives reauth_pending / needs_reauth for exactly the refused token. Not rotated:
    // active and still our generation, so a late answer never revives a dead token (I9).
    const rule = rotated
      ? `(status = 'active' OR (status IN ('reauth_pending', 'needs_reauth') AND last_error_fp = ?))`
      : `status = 'active' AND lease_generation = ?`;
    // MySQL, with the holder's basis: the UPDATE says, through LAST_INSERT_ID, the version it
    // wrote and whether the lease was still ours (then every other column is the basis's or ours).
    // Assigned first, so it reads the old version and lease_generation (never assigned here).
    const learn =
      !this.dialect.updateReturning && basis !== undefined && sameConnection(basis, ref) && basis.leaseGeneration === lease.generation;
    const version = learn
      ? 'version = LAST_INSERT_ID((version + 1) * 2 + CASE WHEN lease_generation = ? THEN 1 ELSE 0 END) DIV 2'
      : 'version = version + 1';
    const sql =
      `UPDATE ${TABLE} SET ${version}, status = 'active', access_token_enc = ?, refresh_token_enc = ?, refresh_token_fp = ?,` +
      ' access_token_expires_at = ?, refresh_token_expires_at = ?, refresh_token_hard_expires_at = ?, next_refresh_at = ?,' +
      ` failure_count = 0, next_attempt_at = NULL, last_error_code = NULL, last_error_fp = NULL, last_refreshed_at = ${now}, ${NO_INFLIGHT},` +
      // Another holder's lease is left alone: its beginCall now finds the fingerprint moved.
      ' lease_owner = CASE WHEN lease_generation = ? THEN NULL ELSE lease_owner END,' +
      ' lease_expires_at = CASE WHEN lease_generation = ? THEN NULL ELSE lease_expires_at END,' +
      ` updated_at = ${now}` +
      ` WHERE tenant_id = ? AND realm_id = ? AND refresh_token_fp = ? AND ${rule}`;
    const params: SqlParam[] = [
      ...(learn ? [lease.generation] : []),
      // The same guard as the token columns' transformer: only sealed values reach them.
      guardSealed(sealed.accessTokenEnc),
      guardSealed(sealed.refreshTokenEnc),
      sealed.refreshTokenFingerprint,
      epochMsParam(result.accessTokenExpiresAt),
      epochMsParam(result.refreshTokenExpiresAt),
      epochMsParam(result.refreshTokenHardExpiresAt),
      epochMsParam(result.nextRefreshAt),
      lease.generation,
      lease.generation,
      ref.tenantId,
      ref.realmId,
      expectedFingerprint,
      rotated ? expectedFingerprint : lease.generation,
    ];
    if (learn) {
      const outcome = await this.run('store refreshed tokens', () => this.sql.write(sql, params));
      if (outcome.affected !== 1) return null;
      // Our lease ended with the write: the row is the basis with what we wrote on top. Another
      // holder's lease (a rotated answer landing after a takeover) is read back as it is.
      if (outcome.lastInsertId % 2 === 1)
        return swappedFrom(basis!, sealed.refreshTokenFingerprint, result, (outcome.lastInsertId - 1) / 2);
      const row = await this.run('read a connection', () => this.readRow(ref));
      return row ? this.toStored(row, written) : null;
    }
    const row = await this.run('store refreshed tokens', () => this.updateAndRead(sql, params, ref));
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
        .andWhere(`status = 'active' AND lease_owner = :owner AND lease_generation = :generation`, {
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
        .andWhere(`${LEASABLE} AND refresh_token_fp = :fingerprint AND lease_owner = :owner AND lease_generation = :generation`, {
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
      leaseGeneration: () => 'lease_generation + 1',
    });
    return this.run('revoke a connection', async () => {
      const update = this.update(values, ref);
      // Fenced: the same statement checks that the refused grant is still the stored one, so a
      // reconnect committed a moment before is never wiped.
      if (fence)
        update.andWhere(`status = 'needs_reauth' AND refresh_token_fp = :refusedFingerprint`, {
          refusedFingerprint: fence.refusedFingerprint,
        });
      return ((await update.execute()).affected ?? 0) > 0;
    });
  }

  async markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean> {
    assertValidConnectionRef(ref);
    const hasToken = 'refresh_token_enc IS NOT NULL AND refresh_token_fp IS NOT NULL';
    const values = this.changeValues({
      // First: MySQL assigns left to right, and these read the refresh token columns wiped below.
      revokeTokenEnc: () => `CASE WHEN ${hasToken} THEN refresh_token_enc ELSE revoke_token_enc END`,
      revokeTokenFingerprint: () => `CASE WHEN ${hasToken} THEN refresh_token_fp ELSE revoke_token_fp END`,
      revokeAttempts: () => `CASE WHEN ${hasToken} THEN 1 ELSE revoke_attempts END`,
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
      leaseGeneration: () => 'lease_generation + 1',
    });
    return this.run(
      'mark a revoke pending',
      async () => ((await this.update(values, ref).andWhere(`status <> 'revoked'`).execute()).affected ?? 0) > 0,
    );
  }

  async claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]> {
    const max = assertValidLimit(limit);
    const hold = assertValidTtl(holdMs);
    if (only) assertValidConnectionRef(only);
    const t = now.getTime();
    // Due (or the one asked for), soonest first; the claim pushes the due time out by `hold`.
    const where = only
      ? 'revoke_token_fp IS NOT NULL AND tenant_id = ? AND realm_id = ?'
      : 'revoke_token_fp IS NOT NULL AND revoke_due_at <= ?';
    const whereParams: SqlParam[] = only ? [only.tenantId, only.realmId] : [t];
    const rows = await this.run('claim pending revocations', async (): Promise<RevocationRow[]> => {
      if (this.kind === 'typeorm-sqlite') {
        return this.sql.rows<RevocationRow>(
          `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1
            WHERE id IN (SELECT id FROM ${TABLE} WHERE ${where} ORDER BY revoke_due_at, id LIMIT ?)
            RETURNING ${REVOCATION_COLUMNS}`,
          [t + hold, ...whereParams, max],
        );
      }
      if (this.kind === 'typeorm-postgres') {
        // On the driver itself: TypeORM's query() hands back [rows, count] for an UPDATE on PostgreSQL.
        // UPDATE ... FROM the locked picks, so RETURNING can say when each was due (RETURNING order
        // is unspecified, and the claim has just overwritten revoke_due_at). SQLite's RETURNING
        // cannot name a FROM table, hence its own statement above.
        const picked = await this.sql.rows<RevocationRow & { was_due: unknown; picked_id: unknown }>(
          `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1
            FROM (SELECT id AS picked_id, revoke_due_at AS was_due FROM ${TABLE} WHERE ${where} ORDER BY revoke_due_at, id LIMIT ?${this.dialect.claimLock}) AS picked
            WHERE ${TABLE}.id = picked.picked_id
            RETURNING ${REVOCATION_COLUMNS.split(', ')
              .map((c) => `${TABLE}.${c}`)
              .join(', ')}, picked.was_due`,
          [t + hold, ...whereParams, max],
        );
        return picked.sort((a, b) => Number(a.was_due) - Number(b.was_due) || Number(a.id) - Number(b.id));
      }
      return this.dataSource.transaction('READ COMMITTED', async (manager: EntityManager) => {
        const locked: RevocationRow[] = await manager.query(
          `SELECT ${REVOCATION_COLUMNS} FROM ${TABLE} WHERE ${where} ORDER BY revoke_due_at, id LIMIT ?${this.dialect.claimLock}`,
          [...whereParams, max],
        );
        if (locked.length) {
          await manager.query(
            `UPDATE ${TABLE} SET revoke_due_at = ?, version = version + 1 WHERE id IN (${locked.map(() => '?').join(', ')})`,
            [t + hold, ...locked.map((r) => r.id)],
          );
        }
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
    const pull = use.pullForward;
    const usedAt = use.usedAt.getTime();
    // -1 matches no expiry: lastUsedAt only. Neither assignment reads the other's column (MySQL order).
    await this.run('record a connection use', () =>
      this.sql.affected(RECORD_USE, [
        pull ? pull.accessTokenExpiresAt.getTime() : -1,
        pull ? pull.refreshAt.getTime() : 0,
        pull ? pull.refreshAt.getTime() : 0,
        usedAt,
        usedAt,
        ref.tenantId,
        ref.realmId,
      ]),
    );
  }

  async settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean> {
    assertValidConnectionRef(ref);
    const values = this.changeValues(
      retryAt
        ? { revokeDueAt: retryAt, revokeAttempts: () => 'revoke_attempts + 1' }
        : {
            revokeTokenEnc: null,
            revokeTokenFingerprint: null,
            revokeDueAt: null,
            revokeAttempts: 0,
            status: () => `CASE WHEN status = 'revoke_pending' THEN 'revoked' ELSE status END`,
          },
    );
    return this.run('settle a revocation', async () => {
      const settled = await this.update(values, ref).andWhere('revoke_token_fp = :fingerprint', { fingerprint }).execute();
      return settled.affected === 1;
    });
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.run('delete a connection', async () => {
      const deleted = await this.dataSource.createQueryBuilder().delete().from(Row).where(BY_REF, ref).execute();
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
    const dbNow = this.dialect.nowMs;
    const raw: Array<Record<string, unknown>> = await this.run('compute stats', () =>
      this.query(
        `SELECT status, COUNT(*) AS total,
           SUM(CASE WHEN access_token_expires_at < ? AND ${AHEAD} THEN 1 ELSE 0 END) AS expiring,
           SUM(CASE WHEN access_token_expires_at < ? AND ${AHEAD} THEN 1 ELSE 0 END) AS expired,
           MIN(CASE WHEN ${AHEAD} THEN access_token_expires_at END) AS soonest_access,
           MIN(refresh_token_expires_at) AS soonest_refresh,
           SUM(CASE WHEN lease_owner IS NOT NULL AND lease_expires_at < ${dbNow} THEN 1 ELSE 0 END) AS stale
         FROM ${TABLE} GROUP BY status`,
        [t + withinMs, t],
      ),
    );
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
    await this.run('reach the database', () => this.dataSource.query('SELECT 1'));
  }

  async listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }> {
    const max = assertValidLimit(limit);
    if (afterCursor !== null && !/^\d{1,19}$/.test(afterCursor))
      throw new StorageError('listRefs cursor is not one this storage returned', 'invalid_cursor');
    const raw: Array<{ id: unknown; tenant_id: string; realm_id: string }> = await this.run('list connection refs', () =>
      this.query(`SELECT id, tenant_id, realm_id FROM ${TABLE} WHERE id > ? ORDER BY id LIMIT ?`, [afterCursor ?? '0', max]),
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
        .andWhere('access_token_enc = :oldAccess AND refresh_token_enc = :oldRefresh', { oldAccess, oldRefresh })
        .execute();
      return rewritten.affected === 1 || pending;
    });
  }

  /** Re-seals a pending revocation under the newest key; CAS on the ciphertext read. True if rewritten. */
  private async reencryptPendingRevocation(ref: ConnectionRef): Promise<boolean> {
    const rows: Array<{ revoke_token_enc: string | Buffer | null }> = await this.query(
      `SELECT revoke_token_enc FROM ${TABLE} WHERE tenant_id = ? AND realm_id = ?`,
      [ref.tenantId, ref.realmId],
    );
    const old = textOf(rows[0]?.revoke_token_enc);
    if (!old || !this.cipher.needsReencryption(old)) return false;
    // It was the refresh token column's value: same AAD field.
    const resealed = new SealedToken(
      sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, old)),
    );
    const rewritten = await this.update(this.changeValues({ revokeTokenEnc: resealed }), ref)
      .andWhere('revoke_token_enc = :old', { old })
      .execute();
    return rewritten.affected === 1;
  }

  async claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean> {
    assertValidConnectionRef(ref);
    const days = assertValidHorizonDays(horizonDays);
    // One conditional UPDATE: the replica whose write lands sends the warning, the others see 0 rows.
    const sql =
      `UPDATE ${TABLE} SET reconnect_warned_days = ? WHERE tenant_id = ? AND realm_id = ? AND ${RECONNECT_LISTED}` +
      ' AND refresh_token_hard_expires_at IS NOT NULL AND refresh_token_hard_expires_at <= ?' +
      ' AND (reconnect_warned_days IS NULL OR reconnect_warned_days > ?)';
    return this.run(
      'record a reconnect warning',
      async () => (await this.sql.affected(sql, [days, ref.tenantId, ref.realmId, now.getTime() + days * DAY_MS, days])) === 1,
    );
  }

  async listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage> {
    const max = assertValidLimit(limit);
    const after = decodeReconnectCursor(afterCursor);
    // Keyset paging on idx_quickbooks_connections_hard_expiry (hard expiry, tenant, realm): each
    // page is one index range scan, however deep the campaign goes. Tokens are not selected.
    // PostgreSQL and SQLite start the range at a row-value comparison (an OR chain would make
    // PostgreSQL read the index from its start and filter); MySQL/MariaDB plan the OR chain as a range.
    const rowValues = this.dialect.kind !== 'typeorm-mysql';
    const keyset = !after
      ? ''
      : rowValues
        ? ' AND (refresh_token_hard_expires_at, tenant_id, realm_id) > (?, ?, ?)'
        : ' AND (refresh_token_hard_expires_at > ? OR (refresh_token_hard_expires_at = ? AND (tenant_id > ? OR (tenant_id = ? AND realm_id > ?))))';
    const params: SqlParam[] = [before.getTime()];
    if (after && rowValues) params.push(after.hardExpiresAt, after.tenantId, after.realmId);
    else if (after) params.push(after.hardExpiresAt, after.hardExpiresAt, after.tenantId, after.tenantId, after.realmId);
    const rows = await this.run('list connections to reconnect', () =>
      this.query<ConnectionRow[]>(
        `SELECT ${CONNECTION_COLUMNS.replace('access_token_enc, refresh_token_enc, ', '')} FROM ${TABLE}` +
          ` WHERE refresh_token_hard_expires_at IS NOT NULL AND refresh_token_hard_expires_at <= ?${keyset} AND ${RECONNECT_LISTED}` +
          ` ORDER BY refresh_token_hard_expires_at, tenant_id, realm_id LIMIT ${max}`,
        params,
      ),
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
    // idx_quickbooks_connections_realm (realm_id): one index lookup, never a table scan.
    const rows: Array<{ tenant_id: string; realm_id: string }> = await this.run('list connections of a company', () =>
      this.query(`SELECT tenant_id, realm_id FROM ${TABLE} WHERE realm_id = ? ORDER BY tenant_id LIMIT ${max}`, [realmId]),
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, realmId: r.realm_id }));
  }

  // ---------------------------------------------------------------------------------------------

  /** MySQL/MariaDB: one short READ COMMITTED transaction (no gap locks), SKIP LOCKED so claimers never wait on each other. */
  private claimDueMysql(due: number, limit: number, owner: string, ttl: number, begin: boolean): Promise<ConnectionRow[]> {
    return this.dataSource.transaction('READ COMMITTED', async (manager: EntityManager) => {
      // One ordered index range per status, each stopping at `limit` rows: `status IN (...)` over
      // (status, next_refresh_at) cannot be read in next_refresh_at order, so it sorted every due
      // row on every claim (O(due rows): seconds at a million). `status = ?` is read in
      // (next_refresh_at, id) order straight from the index (InnoDB's secondary index ends in the
      // primary key). Rows the outer LIMIT drops stay locked only until COMMIT, untouched.
      const part = (status: string) =>
        `(SELECT ${CONNECTION_COLUMNS}, ${this.dialect.nowMs} AS db_now FROM ${TABLE}
          WHERE status = '${status}' AND ${this.dueWithoutStatus()}
          ORDER BY next_refresh_at ASC, id ASC LIMIT ?${this.dialect.claimLock})`;
      const locked: Array<ConnectionRow & { db_now: unknown }> = await manager.query(
        `${part('active')} UNION ALL ${part('reauth_pending')} ORDER BY next_refresh_at ASC, id ASC LIMIT ?`,
        [due, due, limit, due, due, limit, limit],
      );
      if (locked.length === 0) return [];
      const dbNow = Number(locked[0].db_now);
      const leaseExpiresAt = dbNow + ttl;
      // The rows are locked: which ones may have their call begun is decided on what was read.
      const begun = begin ? locked.filter((r) => mayBeginOnClaim(r)) : [];
      // inflight_owner is assigned first and decides the rest (MySQL assigns left to right; the
      // claim's owner id is new, so no earlier record carries it); lease_generation is already the new one.
      const beginSet = begun.length
        ? `, inflight_owner = CASE WHEN id IN (${begun.map(() => '?').join(', ')}) THEN ? ELSE inflight_owner END` +
          ', inflight_fp = CASE WHEN inflight_owner <=> ? THEN refresh_token_fp ELSE inflight_fp END' +
          ', inflight_generation = CASE WHEN inflight_owner <=> ? THEN lease_generation ELSE inflight_generation END' +
          ', inflight_started_at = CASE WHEN inflight_owner <=> ? THEN ? ELSE inflight_started_at END' +
          ', inflight_deadline_at = CASE WHEN inflight_owner <=> ? THEN ? ELSE inflight_deadline_at END'
        : '';
      const beginParams = begun.length ? [...begun.map((r) => r.id), owner, owner, owner, owner, dbNow, owner, leaseExpiresAt] : [];
      await manager.query(
        `UPDATE ${TABLE} SET lease_owner = ?, lease_expires_at = ?, lease_generation = lease_generation + 1${beginSet}, version = version + 1, updated_at = ?` +
          ` WHERE id IN (${locked.map(() => '?').join(', ')})`,
        [owner, leaseExpiresAt, ...beginParams, dbNow, ...locked.map((r) => r.id)],
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
    const now = this.dialect.nowMs;
    // Every assignment sees the old row here: each one repeats the condition.
    const may = MAY_BEGIN_ON_CLAIM;
    const beginSet = begin
      ? `, inflight_fp = CASE WHEN ${may} THEN refresh_token_fp ELSE inflight_fp END` +
        `, inflight_owner = CASE WHEN ${may} THEN ? ELSE inflight_owner END` +
        `, inflight_generation = CASE WHEN ${may} THEN lease_generation + 1 ELSE inflight_generation END` +
        `, inflight_started_at = CASE WHEN ${may} THEN ${now} ELSE inflight_started_at END` +
        `, inflight_deadline_at = CASE WHEN ${may} THEN ${now} + ${ttl} ELSE inflight_deadline_at END`
      : '';
    // One ordered index range per status, each stopping at `limit` rows (see claimDueMysql):
    // `status IN (...)` made PostgreSQL sort every due row on every claim. Ordered by
    // next_refresh_at alone: its index does not order ties by id, and sorting a tie of a whole
    // fleet due at once is what this avoids. Rows the outer LIMIT drops stay locked only until
    // this statement ends.
    const part = (status: string) =>
      `SELECT id, next_refresh_at FROM (SELECT id, next_refresh_at FROM ${TABLE} WHERE status = '${status}' AND ${this.dueWithoutStatus()}` +
      ` ORDER BY next_refresh_at LIMIT ?${this.dialect.claimLock}) AS due_${status}`;
    // On the driver itself: TypeORM's query() hands back [rows, count] for an UPDATE on PostgreSQL.
    const rows = await this.sql.rows<ConnectionRow>(
      `UPDATE ${TABLE}
          SET lease_owner = ?, lease_expires_at = ${now} + ${ttl}, lease_generation = lease_generation + 1${beginSet}, version = version + 1, updated_at = ${now}
        WHERE id IN (SELECT id FROM (${part('active')} UNION ALL ${part('reauth_pending')}) AS due ORDER BY next_refresh_at, id LIMIT ?)
        RETURNING ${CONNECTION_COLUMNS}`,
      [owner, ...(begin ? [owner] : []), due, due, limit, due, due, limit, limit],
    );
    // RETURNING order is unspecified.
    return rows.sort((a, b) => Number(a.next_refresh_at) - Number(b.next_refresh_at) || Number(a.id) - Number(b.id));
  }

  /** Due and not leased by a live owner (the claim adds its status), with `?` for the due time (twice). */
  private dueWithoutStatus(): string {
    return `next_refresh_at <= ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_owner IS NULL OR lease_expires_at < ${this.dialect.nowMs})`;
  }

  /** One connection by tenant + realm (I7), from the primary: a replica may lag behind a refresh and hand out a superseded token (I3). */
  private async readRow(ref: ConnectionRef): Promise<ConnectionRow | null> {
    const rows = await this.sql.rows<ConnectionRow>(SELECT_BY_REF, [ref.tenantId, ref.realmId]);
    return rows[0] ?? null;
  }

  /**
   * A conditional UPDATE of one connection, then the row as stored after it, or null when the
   * condition did not hold. SQLite and PostgreSQL: one UPDATE ... RETURNING. MySQL: the UPDATE,
   * then a prepared re-read on the primary (2 statements).
   */
  private async updateAndRead(sql: string, params: SqlParam[], ref: ConnectionRef): Promise<ConnectionRow | null> {
    if (this.dialect.updateReturning) {
      const rows = await this.sql.rows<ConnectionRow>(`${sql} RETURNING ${CONNECTION_COLUMNS}`, params);
      return rows[0] ?? null;
    }
    return (await this.sql.affected(sql, params)) ? this.readRow(ref) : null;
  }

  /** A statement off the hot path through TypeORM, written with `?` placeholders like the hot ones. */
  private query<T = unknown>(sql: string, params: SqlParam[]): Promise<T> {
    return this.dataSource.query(this.dialect.bind(sql), params);
  }

  /** A conditional UPDATE scoped to one tenant + realm (I7); callers add their rule with andWhere. */
  private update(values: RowValues, ref: ConnectionRef): UpdateQueryBuilder<Row> {
    return this.dataSource.createQueryBuilder().update(Row).set(values).where(BY_REF, { tenantId: ref.tenantId, realmId: ref.realmId });
  }

  /** Every write bumps the version and stamps updated_at from the database clock. */
  private changeValues(values: RowValues): RowValues {
    return { ...values, version: () => 'version + 1', updatedAt: () => this.dialect.nowMs };
  }

  private sealTokens(ref: ConnectionRef, accessToken: string, refreshToken: string) {
    return {
      accessTokenEnc: new SealedToken(sealToken(this.cipher, ref, ACCESS_TOKEN_FIELD, accessToken)),
      refreshTokenEnc: new SealedToken(sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, refreshToken)),
      refreshTokenFingerprint: this.cipher.fingerprint(refreshToken),
    };
  }

  private toStored(row: ConnectionRow, written?: JustWritten): StoredConnection {
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

/** What claimRevocations reads of a row. */
const REVOCATION_COLUMNS = 'id, tenant_id, realm_id, status, revoke_token_enc, revoke_token_fp, revoke_attempts';

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
  const replaced = 'refresh_token_enc IS NOT NULL AND refresh_token_fp IS NOT NULL AND refresh_token_fp <> :replacedBy';
  return {
    revokeTokenEnc: () => `CASE WHEN ${replaced} THEN refresh_token_enc ELSE revoke_token_enc END`,
    revokeTokenFingerprint: () => `CASE WHEN ${replaced} THEN refresh_token_fp ELSE revoke_token_fp END`,
    revokeDueAt: () => `CASE WHEN ${replaced} THEN :revokeDueAt ELSE revoke_due_at END`,
    revokeAttempts: () => `CASE WHEN ${replaced} THEN 0 ELSE revoke_attempts END`,
  };
}

/**
 * An earlier holder's call with the stored token, past its deadline or not: the new holder must
 * see it (wait it out, park a refusal), so a claim never begins over it. On a claim every earlier
 * record is another generation's: the claim bumps it.
 */
const EARLIER_CALL_ON_CLAIM = 'inflight_fp IS NOT NULL AND inflight_fp = refresh_token_fp';

/** May a claim or an acquisition begin the call (beginCalls)? Active, and no earlier call with the stored token. */
const MAY_BEGIN_ON_CLAIM = `status = 'active' AND refresh_token_fp IS NOT NULL AND NOT (${EARLIER_CALL_ON_CLAIM})`;

/** MAY_BEGIN_ON_CLAIM on a row MySQL's claim has read and locked. */
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
