import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { ConnectionRef } from '../../../libs/quickbooks-auth/src/auth/connection.interface';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, sealToken } from '../../../libs/quickbooks-auth/src/auth/storage/token-sealing';
import { TypeOrmTokenStorage } from '../../../libs/quickbooks-auth/src/auth/storage/typeorm/typeorm-token-storage';
import {
  QUICKBOOKS_AUTH_ENTITIES,
  QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
  QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
  runQuickBooksMigrations,
} from '../../../libs/quickbooks-auth/src/migrations';
import { createScratchDatabase } from '../../support/mariadb';
import { makeCipher, newConnection } from '../support/storage-fixtures';

/**
 * Upgrade in place to refresh protocol v2 on a real database: the schema of the previous release
 * (only its two migrations applied, recorded as that release's runner records them), rows written
 * exactly as its code wrote them, then every migration, then the new storage class. Also the way
 * back: the v2 migration's down() and a second up().
 */

const V2_COLUMNS = ['lease_generation', 'inflight_fp', 'inflight_owner', 'inflight_generation', 'inflight_started_at', 'inflight_deadline_at', 'last_error_fp'];
const OLD_COLUMNS =
  'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at,' +
  ' refresh_token_hard_expires_at, scopes, version, lease_owner, lease_expires_at, next_refresh_at, failure_count, next_attempt_at, last_error_code,' +
  ' last_refreshed_at, created_at, updated_at';

interface Target {
  name: string;
  v2Migration: string;
  /** Migrations after v2, which the upgrade runs too. */
  laterMigrations: string[];
  /** A fresh, empty database: options for a DataSource on it, and how to remove it. */
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  migrations: Array<new () => unknown>;
  columns(ds: DataSource): Promise<string[]>;
}

const TARGETS: Target[] = [
  {
    name: 'MariaDB',
    v2Migration: 'AddRefreshProtocolV2Mysql1767225800000',
    laterMigrations: ['AddPendingRevocationMysql1767225900000', 'AddConnectionLifecycleMysql1767226000000', 'AddLastUsedMysql1767226100000'],
    migrations: QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
    create: async () => {
      const scratch = await createScratchDatabase('qb_upgrade');
      return { options: { type: 'mysql', url: scratch.url }, drop: scratch.drop };
    },
    columns: async (ds) =>
      (
        (await ds.query(
          "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'",
        )) as Array<{ name: string }>
      ).map((r) => r.name),
  },
  {
    name: 'SQLite',
    v2Migration: 'AddRefreshProtocolV2Sqlite1767225800000',
    laterMigrations: ['AddPendingRevocationSqlite1767225900000', 'AddConnectionLifecycleSqlite1767226000000', 'AddLastUsedSqlite1767226100000'],
    migrations: QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qb-upgrade-'));
      return { options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    columns: async (ds) => ((await ds.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`)) as Array<{ name: string }>).map((r) => r.name),
  },
];

describe.each(TARGETS)('TypeOrmTokenStorage: upgrade in place to refresh protocol v2 ($name)', (target) => {
  const { cipher } = makeCipher();
  let drop: () => Promise<void>;
  let options: DataSourceOptions;
  const open: DataSource[] = [];

  beforeEach(async () => {
    ({ options, drop } = await target.create());
  });

  afterEach(async () => {
    for (const ds of open.splice(0)) if (ds.isInitialized) await ds.destroy();
    await drop();
  });

  async function dataSource(extra: Partial<DataSourceOptions> = {}): Promise<DataSource> {
    const ds = new DataSource({ ...options, ...extra } as DataSourceOptions);
    await ds.initialize();
    open.push(ds);
    return ds;
  }

  /** The previous release's schema: its two migrations, run and recorded by TypeORM's own runner. */
  async function previousRelease(): Promise<DataSource> {
    const ds = await dataSource({ migrations: target.migrations.slice(0, 2) as DataSourceOptions['migrations'] });
    await ds.runMigrations({ transaction: 'each' });
    return ds;
  }

  /** A connection as the previous release's saveConnection (and a lease) left it: its columns only, tokens sealed. */
  async function writeOldRow(
    ds: DataSource,
    ref: ConnectionRef,
    opts: { status?: string; nextRefreshAt?: number; leaseOwner?: string; leaseExpiresAt?: number } = {},
  ): Promise<{ accessToken: string; refreshToken: string; fingerprint: string }> {
    const conn = newConnection(ref.tenantId, ref.realmId);
    const now = Date.now();
    const fingerprint = cipher.fingerprint(conn.refreshToken);
    await ds.query(`INSERT INTO quickbooks_connections (${OLD_COLUMNS}) VALUES (${OLD_COLUMNS.split(',').map(() => '?').join(', ')})`, [
      ref.tenantId,
      ref.realmId,
      'sandbox',
      opts.status ?? 'active',
      sealToken(cipher, ref, ACCESS_TOKEN_FIELD, conn.accessToken),
      sealToken(cipher, ref, REFRESH_TOKEN_FIELD, conn.refreshToken),
      fingerprint,
      conn.accessTokenExpiresAt.getTime(),
      conn.refreshTokenExpiresAt.getTime(),
      conn.refreshTokenHardExpiresAt!.getTime(),
      conn.scopes.join(' '),
      7,
      opts.leaseOwner ?? null,
      opts.leaseExpiresAt ?? null,
      opts.nextRefreshAt ?? conn.nextRefreshAt.getTime(),
      0,
      null,
      opts.status === 'needs_reauth' ? 'invalid_grant' : null,
      now - 3_600_000,
      now - 86_400_000,
      now - 3_600_000,
    ]);
    return { accessToken: conn.accessToken, refreshToken: conn.refreshToken, fingerprint };
  }

  /** The new release on the same database: every migration, then the storage class. */
  async function upgrade(): Promise<{ ds: DataSource; storage: TypeOrmTokenStorage; ran: string[] }> {
    const ds = await dataSource({ entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations: target.migrations as DataSourceOptions['migrations'] });
    const ran = await runQuickBooksMigrations(ds);
    return { ds, storage: new TypeOrmTokenStorage(ds, cipher), ran };
  }

  it('reads, leases, calls and refreshes a row written by the previous release', async () => {
    const old = await previousRelease();
    expect(await target.columns(old)).not.toContain('lease_generation');
    const a = { tenantId: 'tenant-upgrade', realmId: 'a' };
    const b = { tenantId: 'tenant-upgrade', realmId: 'b' };
    const c = { tenantId: 'tenant-upgrade', realmId: 'c' };
    // A crashed old replica's lease (expired), a due row, and a row the old release marked needs_reauth.
    const rowA = await writeOldRow(old, a, { leaseOwner: 'old-replica', leaseExpiresAt: Date.now() - 60_000 });
    const rowB = await writeOldRow(old, b, { nextRefreshAt: Date.now() - 1000 });
    await writeOldRow(old, c, { status: 'needs_reauth' });
    await old.destroy();

    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual([target.v2Migration, ...target.laterMigrations]);
    expect(await target.columns(ds)).toEqual(expect.arrayContaining(V2_COLUMNS));

    const before = (await storage.get(a))!;
    expect(before).toMatchObject({
      status: 'active',
      accessToken: rowA.accessToken,
      refreshToken: rowA.refreshToken,
      refreshTokenFingerprint: rowA.fingerprint,
      version: 7,
      leaseOwner: 'old-replica',
      leaseGeneration: 0,
      inflight: null,
      lastErrorFingerprint: null,
    });
    expect((await storage.get(c))!).toMatchObject({ status: 'needs_reauth', lastErrorCode: 'invalid_grant', leaseGeneration: 0, inflight: null, lastErrorFingerprint: null });

    // The old replica's expired lease is taken over: generation 1.
    const leased = (await storage.acquireLease(a, 'new-replica', 60_000))!;
    expect(leased).toMatchObject({ leaseOwner: 'new-replica', leaseGeneration: 1, inflight: null, version: 8 });
    const lease = { owner: 'new-replica', generation: 1 };
    // A holder of the old release's owner id (no generation) can no longer write.
    await expect(storage.renewLease(a, { owner: 'old-replica', generation: 0 }, 60_000)).resolves.toBe(false);

    expect(await storage.beginCall(a, lease, { fingerprint: rowA.fingerprint, callBudgetMs: 20_000, ttlMs: 60_000 })).toBe(true);
    const inCall = (await storage.get(a))!;
    expect(inCall.inflight).toMatchObject({ fingerprint: rowA.fingerprint, owner: 'new-replica', generation: 1 });
    expect(inCall.inflight!.deadlineAt.getTime() - inCall.inflight!.startedAt.getTime()).toBe(20_000);

    const now = Date.now();
    const swapped = await storage.compareAndSwapTokens(
      a,
      rowA.fingerprint,
      {
        accessToken: 'AT-after-upgrade',
        refreshToken: 'RT-after-upgrade',
        accessTokenExpiresAt: new Date(now + 3_600_000),
        refreshTokenExpiresAt: new Date(now + 100 * 86_400_000),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(now + 2_400_000),
      },
      lease,
    );
    expect(swapped).toMatchObject({
      status: 'active',
      accessToken: 'AT-after-upgrade',
      refreshToken: 'RT-after-upgrade',
      refreshTokenFingerprint: cipher.fingerprint('RT-after-upgrade'),
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: 1,
      inflight: null,
    });
    expect((await storage.get(a))!.refreshToken).toBe('RT-after-upgrade');
    const dump = JSON.stringify(await ds.query('SELECT * FROM quickbooks_connections'));
    expect(dump).not.toContain('RT-after-upgrade');
    expect(dump).not.toContain(rowB.refreshToken);

    // The due old row is claimed with generation 1.
    const claimed = await storage.claimDue(new Date(), 10, 'claimer', 60_000);
    expect(claimed.map((x) => [x.realmId, x.leaseGeneration, x.refreshToken])).toEqual([['b', 1, rowB.refreshToken]]);
    expect((await storage.stats(new Date(), 0)).byStatus).toEqual({ active: 2, reauth_pending: 0, needs_reauth: 1, revoke_pending: 0, revoked: 0 });
  });

  it('up adds only the columns still missing (a half-applied upgrade)', async () => {
    const old = await previousRelease();
    await old.query('ALTER TABLE quickbooks_connections ADD COLUMN lease_generation BIGINT NOT NULL DEFAULT 0');
    const ref = { tenantId: 'tenant-half', realmId: '1' };
    const row = await writeOldRow(old, ref);
    await old.destroy();

    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual([target.v2Migration, ...target.laterMigrations]);
    expect((await target.columns(ds)).filter((col) => V2_COLUMNS.includes(col)).sort()).toEqual([...V2_COLUMNS].sort());
    expect((await storage.acquireLease(ref, 'o', 60_000))!).toMatchObject({ refreshToken: row.refreshToken, leaseGeneration: 1 });
  });

  it('down removes the v2 columns, hands reauth_pending rows back as active, and up again works', async () => {
    const old = await previousRelease();
    const parked = { tenantId: 'tenant-down', realmId: 'parked' };
    const plain = { tenantId: 'tenant-down', realmId: 'plain' };
    const rowP = await writeOldRow(old, parked);
    const rowQ = await writeOldRow(old, plain);
    await old.destroy();

    const { ds, storage } = await upgrade();
    const leased = (await storage.acquireLease(parked, 'o', 60_000))!;
    const pendingUntil = new Date(Date.now() + 600_000);
    expect(
      await storage.markNeedsReauth(parked, { owner: 'o', generation: leased.leaseGeneration }, { fingerprint: rowP.fingerprint, errorCode: 'invalid_grant', pendingUntil }),
    ).toBe(true);
    expect((await storage.get(parked))!.status).toBe('reauth_pending');

    for (const _later of target.laterMigrations) await ds.undoLastMigration({ transaction: 'each' });
    await ds.undoLastMigration({ transaction: 'each' });
    const columns = await target.columns(ds);
    for (const col of V2_COLUMNS) expect(columns).not.toContain(col);
    // What the previous release reads: its own columns, statuses it knows.
    const rows: Array<{ realm_id: string; status: string; refresh_token_fp: string }> = await ds.query(
      'SELECT realm_id, status, refresh_token_fp FROM quickbooks_connections ORDER BY realm_id',
    );
    expect(rows).toEqual([
      { realm_id: 'parked', status: 'active', refresh_token_fp: rowP.fingerprint },
      { realm_id: 'plain', status: 'active', refresh_token_fp: rowQ.fingerprint },
    ]);

    expect(await runQuickBooksMigrations(ds)).toEqual([target.v2Migration, ...target.laterMigrations]);
    expect(await runQuickBooksMigrations(ds)).toEqual([]);
    expect((await storage.get(plain))!).toMatchObject({ refreshToken: rowQ.refreshToken, leaseGeneration: 0, inflight: null });
    expect((await storage.acquireLease(parked, 'o2', 60_000))!).toMatchObject({ status: 'active', refreshToken: rowP.refreshToken, leaseGeneration: 1 });
  });
});
