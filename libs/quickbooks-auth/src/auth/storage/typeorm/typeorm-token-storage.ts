import type { DataSource, EntityManager, ObjectLiteral, QueryRunner, Repository, UpdateQueryBuilder } from 'typeorm';
import { ConfigurationError } from '../../../errors/configuration.error';
import { DecryptionError } from '../../../errors/decryption.error';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type { ConnectionRef, ConnectionStatus, StoredConnection } from '../../connection.interface';
import { assertValidConnectionRef, assertValidLimit, assertValidTenantId, assertValidTtl } from '../connection-ref.validation';
import type { NewConnection, RefreshFailure, RefreshResult, StorageStats, TokenStorage } from '../token-storage.interface';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { QuickBooksConnectionEntity as Row } from './quickbooks-connection.entity';
import { SealedToken } from './sealed-token';
import { sqlDialectFor, type SqlDialect, type TypeOrmStorageKind } from './sql-dialect';
import { driverErrorCode, toStorageError } from './storage-error.mapper';

const TABLE = 'quickbooks_connections';
const BY_REF = 'tenant_id = :tenantId AND realm_id = :realmId';

type RowValues = Parameters<UpdateQueryBuilder<Row>['set']>[0];

/**
 * TokenStorage on a host TypeORM DataSource: MySQL/MariaDB (many replicas) or SQLite (one
 * process). Every state change is ONE conditional UPDATE whose WHERE clause is the rule (lease
 * free, fingerprint unchanged...), so "affected rows = 1" decides ownership without holding a
 * transaction; only claimDue on MySQL uses a short SELECT ... FOR UPDATE SKIP LOCKED transaction.
 * Lease times come from the database clock. Writes name their columns explicitly (no `save()`:
 * random IVs make a loaded entity always dirty). Tokens are sealed here, with the row's tenant and
 * realm in the AAD, before they reach the guard transformer on the column.
 *
 * Statements per operation: get 1; acquireLease 2 (UPDATE + re-read); compareAndSwapTokens 2;
 * renew/release/recordFailure/markNeedsReauth/markRevoked/delete 1; saveConnection 2 (3 on first
 * connect); claimDue 1 on SQLite, 4-5 on MySQL per batch (BEGIN, SELECT FOR UPDATE, UPDATE, COMMIT).
 */
export class TypeOrmTokenStorage implements TokenStorage {
  readonly kind: TypeOrmStorageKind;
  private readonly dialect: SqlDialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: TokenCipher,
  ) {
    this.dialect = sqlDialectFor(dataSource);
    this.kind = this.dialect.kind;
    if (dataSource.isInitialized && !dataSource.hasMetadata(Row)) {
      throw new ConfigurationError(['the TypeORM DataSource for QuickBooks token storage must include QUICKBOOKS_AUTH_ENTITIES in its entities']);
    }
  }

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const row = await this.run('read a connection', () => this.findRow(ref));
    return row ? this.toStored(row) : null;
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    assertValidTenantId(tenantId);
    const rows = await this.run('list connections', () =>
      this.onPrimary((qr) => this.repo.createQueryBuilder('c', qr).where('c.tenant_id = :tenantId', { tenantId }).orderBy('c.id', 'ASC').getMany()),
    );
    return rows.map((row) => this.toStored(row));
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
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    return this.run('save a connection', async () => {
      // Reconnect is the common case: UPDATE first; INSERT only when the row does not exist yet.
      // Two concurrent first connects: the loser's INSERT hits the unique key and retries the UPDATE.
      for (let attempt = 0; attempt < 3; attempt++) {
        const updated = await this.update({ ...values, version: () => 'version + 1', updatedAt: () => this.dialect.nowMs }, ref).execute();
        if (!updated.affected) {
          try {
            await this.dataSource
              .createQueryBuilder()
              .insert()
              .into(Row)
              .values({ ...ref, ...values, version: 1, createdAt: () => this.dialect.nowMs, updatedAt: () => this.dialect.nowMs })
              .execute();
          } catch (err) {
            if (this.dialect.isDuplicateKey(driverErrorCode(err))) continue;
            throw err;
          }
        }
        const row = await this.findRow(ref);
        if (row) return this.toStored(row);
      }
      throw new StorageError(`Token storage (${this.kind}) could not save the connection: it kept changing concurrently`, 'storage_conflict');
    });
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const now = this.dialect.nowMs;
    const row = await this.run('acquire a lease', async () => {
      const taken = await this.update(this.leaseValues(owner, ttl), ref)
        .andWhere(`status = 'active' AND (lease_owner IS NULL OR lease_owner = :owner OR lease_expires_at < ${now})`, { owner })
        .execute();
      return taken.affected ? this.findRow(ref) : null;
    });
    // Re-read under the lease; a revoke or reconnect in between means the lease is gone again.
    return row && row.leaseOwner === owner ? this.toStored(row) : null;
  }

  async renewLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    return this.run('renew a lease', async () => {
      const renewed = await this.update(this.leaseValues(owner, ttl), ref).andWhere('lease_owner = :owner', { owner }).execute();
      return renewed.affected === 1;
    });
  }

  async releaseLease(ref: ConnectionRef, owner: string): Promise<void> {
    assertValidConnectionRef(ref);
    await this.run('release a lease', () =>
      this.update(this.changeValues({ leaseOwner: null, leaseExpiresAt: null }), ref).andWhere('lease_owner = :owner', { owner }).execute(),
    );
  }

  async compareAndSwapTokens(ref: ConnectionRef, expectedFingerprint: string, result: RefreshResult, owner: string): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    void owner; // a successful swap ends any lease: it was taken for a token that is now superseded
    const values = this.changeValues({
      status: 'active',
      ...this.sealTokens(ref, result.accessToken, result.refreshToken),
      accessTokenExpiresAt: result.accessTokenExpiresAt,
      refreshTokenExpiresAt: result.refreshTokenExpiresAt,
      refreshTokenHardExpiresAt: result.refreshTokenHardExpiresAt,
      nextRefreshAt: result.nextRefreshAt,
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastRefreshedAt: () => this.dialect.nowMs,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    const row = await this.run('store refreshed tokens', async () => {
      const swapped = await this.update(values, ref)
        .andWhere(`refresh_token_fp = :expectedFingerprint AND status <> 'revoked'`, { expectedFingerprint })
        .execute();
      return swapped.affected ? this.findRow(ref) : null;
    });
    return row ? this.toStored(row) : null;
  }

  async recordFailure(ref: ConnectionRef, owner: string, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    const values = this.changeValues({
      failureCount: failure.failureCount,
      nextAttemptAt: failure.nextAttemptAt,
      lastErrorCode: failure.lastErrorCode,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    // Status is never touched here (I4); another owner's live lease is left alone.
    await this.run('record a refresh failure', () =>
      this.update(values, ref).andWhere(`status = 'active' AND (lease_owner IS NULL OR lease_owner = :owner)`, { owner }).execute(),
    );
  }

  async markNeedsReauth(ref: ConnectionRef, expectedFingerprint: string, errorCode: string): Promise<boolean> {
    assertValidConnectionRef(ref);
    const values = this.changeValues({ status: 'needs_reauth', lastErrorCode: errorCode, leaseOwner: null, leaseExpiresAt: null });
    return this.run('mark a connection for reauthorization', async () => {
      const marked = await this.update(values, ref)
        .andWhere(`status = 'active' AND refresh_token_fp = :expectedFingerprint`, { expectedFingerprint })
        .execute();
      return marked.affected === 1;
    });
  }

  async markRevoked(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const values = this.changeValues({
      status: 'revoked',
      accessTokenEnc: null,
      refreshTokenEnc: null,
      refreshTokenFingerprint: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    });
    return this.run('revoke a connection', async () => ((await this.update(values, ref).execute()).affected ?? 0) > 0);
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.run('delete a connection', async () => {
      const deleted = await this.dataSource.createQueryBuilder().delete().from(Row).where(BY_REF, ref).execute();
      return (deleted.affected ?? 0) > 0;
    });
  }

  async claimDue(now: Date, limit: number, owner: string, ttlMs: number): Promise<StoredConnection[]> {
    const max = assertValidLimit(limit);
    const ttl = assertValidTtl(ttlMs);
    const rows = await this.run('claim due connections', () =>
      this.kind === 'typeorm-mysql' ? this.claimDueMysql(now.getTime(), max, owner, ttl) : this.claimDueSqlite(now.getTime(), max, owner, ttl),
    );
    const claimed: StoredConnection[] = [];
    for (const row of rows) {
      try {
        claimed.push(this.toStored(row));
      } catch (err) {
        // An undecryptable row stays leased until its TTL passes (a natural back-off) and must not
        // block the rest of the batch (I8).
        if (!(err instanceof DecryptionError)) throw err;
      }
    }
    return claimed;
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const t = now.getTime();
    const dbNow = this.dialect.nowMs;
    const raw: Array<Record<string, unknown>> = await this.run('compute stats', () =>
      this.dataSource.query(
        `SELECT status, COUNT(*) AS total,
           SUM(CASE WHEN access_token_expires_at < ? THEN 1 ELSE 0 END) AS expiring,
           SUM(CASE WHEN access_token_expires_at < ? THEN 1 ELSE 0 END) AS expired,
           MIN(access_token_expires_at) AS soonest_access,
           MIN(refresh_token_expires_at) AS soonest_refresh,
           SUM(CASE WHEN lease_owner IS NOT NULL AND lease_expires_at < ${dbNow} THEN 1 ELSE 0 END) AS stale
         FROM ${TABLE} GROUP BY status`,
        [t + withinMs, t],
      ),
    );
    const stats: StorageStats = {
      byStatus: { active: 0, needs_reauth: 0, revoked: 0 },
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
    if (afterCursor !== null && !/^\d{1,19}$/.test(afterCursor)) throw new StorageError('listRefs cursor is not one this storage returned', 'invalid_cursor');
    const raw: Array<{ id: unknown; tenant_id: string; realm_id: string }> = await this.run('list connection refs', () =>
      this.dataSource.query(`SELECT id, tenant_id, realm_id FROM ${TABLE} WHERE id > ? ORDER BY id LIMIT ?`, [afterCursor ?? '0', max]),
    );
    return {
      refs: raw.map((r) => ({ tenantId: r.tenant_id, realmId: r.realm_id })),
      nextCursor: raw.length === max ? String(raw[raw.length - 1].id) : null,
    };
  }

  async reencrypt(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    return this.run('re-encrypt a connection', async () => {
      const row = await this.findRow(ref);
      if (!row?.accessTokenEnc || !row.refreshTokenEnc) return false;
      const oldAccess = row.accessTokenEnc.value;
      const oldRefresh = row.refreshTokenEnc.value;
      if (!this.cipher.needsReencryption(oldAccess) && !this.cipher.needsReencryption(oldRefresh)) return false;
      const sealed = this.sealTokens(
        ref,
        openToken(this.cipher, ref, ACCESS_TOKEN_FIELD, oldAccess),
        openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, oldRefresh),
      );
      // CAS on the ciphertexts we read: a refresh that stored new tokens meanwhile wins. The
      // fingerprint is kept as is: an in-flight refresh fences on it, and it is an opaque value.
      const rewritten = await this.update(this.changeValues({ accessTokenEnc: sealed.accessTokenEnc, refreshTokenEnc: sealed.refreshTokenEnc }), ref)
        .andWhere('access_token_enc = :oldAccess AND refresh_token_enc = :oldRefresh', { oldAccess, oldRefresh })
        .execute();
      return rewritten.affected === 1;
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** MySQL/MariaDB: one short READ COMMITTED transaction (no gap locks), SKIP LOCKED so claimers never wait on each other. */
  private claimDueMysql(due: number, limit: number, owner: string, ttl: number): Promise<Row[]> {
    return this.dataSource.transaction('READ COMMITTED', async (manager: EntityManager) => {
      const { entities, raw } = await manager
        .createQueryBuilder(Row, 'c')
        .addSelect(this.dialect.nowMs, 'db_now')
        .where(this.dueCondition('c.'), { due })
        .orderBy('c.nextRefreshAt', 'ASC')
        .addOrderBy('c.id', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getRawAndEntities<{ db_now: unknown }>();
      if (entities.length === 0) return [];
      const dbNow = Number(raw[0].db_now);
      const leaseExpiresAt = new Date(dbNow + ttl);
      await manager
        .createQueryBuilder()
        .update(Row)
        .set({ leaseOwner: owner, leaseExpiresAt, version: () => 'version + 1', updatedAt: new Date(dbNow) })
        .where('id IN (:...ids)', { ids: entities.map((e) => e.id) })
        .execute();
      return entities.map((e) => Object.assign(e, { leaseOwner: owner, leaseExpiresAt, version: e.version + 1, updatedAt: new Date(dbNow) }));
    });
  }

  /** SQLite has a single writer: one UPDATE ... RETURNING is atomic and needs no transaction. */
  private async claimDueSqlite(due: number, limit: number, owner: string, ttl: number): Promise<Row[]> {
    const now = this.dialect.nowMs;
    const raw: Array<Record<string, unknown>> = await this.dataSource.query(
      `UPDATE ${TABLE}
          SET lease_owner = ?, lease_expires_at = ${now} + ${ttl}, version = version + 1, updated_at = ${now}
        WHERE id IN (SELECT id FROM ${TABLE} WHERE ${this.dueCondition('').replace(/:due/g, '?')} ORDER BY next_refresh_at, id LIMIT ?)
        RETURNING *`,
      [owner, due, due, limit],
    );
    const rows = raw.map((r) => this.hydrate(r));
    // RETURNING order is unspecified.
    return rows.sort((a, b) => a.nextRefreshAt.getTime() - b.nextRefreshAt.getTime() || Number(a.id) - Number(b.id));
  }

  private dueCondition(alias: string): string {
    const c = alias;
    return (
      `${c}status = 'active' AND ${c}next_refresh_at <= :due AND (${c}next_attempt_at IS NULL OR ${c}next_attempt_at <= :due)` +
      ` AND (${c}lease_owner IS NULL OR ${c}lease_expires_at < ${this.dialect.nowMs})`
    );
  }

  private get repo(): Repository<Row> {
    return this.dataSource.getRepository(Row);
  }

  private findRow(ref: ConnectionRef): Promise<Row | null> {
    return this.onPrimary((qr) =>
      this.repo.createQueryBuilder('c', qr).where('c.tenant_id = :tenantId AND c.realm_id = :realmId', { tenantId: ref.tenantId, realmId: ref.realmId }).getOne(),
    );
  }

  /**
   * Token reads go to the primary: with TypeORM replication, SELECTs default to a replica, which
   * may lag behind a refresh and hand out a superseded token (I3). No extra statement.
   */
  private async onPrimary<T>(fn: (queryRunner: QueryRunner) => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner('master');
    try {
      return await fn(queryRunner);
    } finally {
      await queryRunner.release();
    }
  }

  /** A conditional UPDATE scoped to one tenant + realm (I7); callers add their rule with andWhere. */
  private update(values: RowValues, ref: ConnectionRef): UpdateQueryBuilder<Row> {
    return this.dataSource
      .createQueryBuilder()
      .update(Row)
      .set(values)
      .where(BY_REF, { tenantId: ref.tenantId, realmId: ref.realmId });
  }

  /** Every write bumps the version and stamps updated_at from the database clock. */
  private changeValues(values: RowValues): RowValues {
    return { ...values, version: () => 'version + 1', updatedAt: () => this.dialect.nowMs };
  }

  private leaseValues(owner: string, ttl: number): RowValues {
    return this.changeValues({ leaseOwner: owner, leaseExpiresAt: () => `${this.dialect.nowMs} + ${ttl}` });
  }

  private sealTokens(ref: ConnectionRef, accessToken: string, refreshToken: string) {
    return {
      accessTokenEnc: new SealedToken(sealToken(this.cipher, ref, ACCESS_TOKEN_FIELD, accessToken)),
      refreshTokenEnc: new SealedToken(sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, refreshToken)),
      refreshTokenFingerprint: this.cipher.fingerprint(refreshToken),
    };
  }

  /** Raw row (column names) to entity, through the same column transformers TypeORM uses. */
  private hydrate(raw: Record<string, unknown>): Row {
    const entity = new Row();
    const driver = this.dataSource.driver;
    for (const column of this.dataSource.getMetadata(Row).columns) {
      column.setEntityValue(entity as ObjectLiteral, driver.prepareHydratedValue(raw[column.databaseName], column));
    }
    return entity;
  }

  private toStored(row: Row): StoredConnection {
    const ref = { tenantId: row.tenantId, realmId: row.realmId };
    return {
      tenantId: row.tenantId,
      realmId: row.realmId,
      environment: row.environment,
      status: row.status,
      accessToken: row.accessTokenEnc ? openToken(this.cipher, ref, ACCESS_TOKEN_FIELD, row.accessTokenEnc.value) : '',
      refreshToken: row.refreshTokenEnc ? openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, row.refreshTokenEnc.value) : '',
      refreshTokenFingerprint: row.refreshTokenFingerprint ?? '',
      accessTokenExpiresAt: row.accessTokenExpiresAt,
      refreshTokenExpiresAt: row.refreshTokenExpiresAt,
      refreshTokenHardExpiresAt: row.refreshTokenHardExpiresAt,
      scopes: row.scopes,
      version: row.version,
      leaseOwner: row.leaseOwner,
      leaseExpiresAt: row.leaseExpiresAt,
      nextRefreshAt: row.nextRefreshAt,
      failureCount: Number(row.failureCount),
      nextAttemptAt: row.nextAttemptAt,
      lastErrorCode: row.lastErrorCode,
      lastRefreshedAt: row.lastRefreshedAt,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /**
   * Runs one operation, mapping driver errors to StorageError. InnoDB may pick a claim transaction
   * or a conditional UPDATE as a deadlock victim; it was rolled back whole and every operation
   * here re-checks its condition, so it is retried (twice at most).
   */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt < 3 && driverErrorCode(err) === 'ER_LOCK_DEADLOCK') continue;
        throw toStorageError(err, this.kind, operation);
      }
    }
  }
}
