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
 * Upgrade in place to pending revocations (migration 1767225900000) on a real database: the
 * refresh protocol v2 schema of the previous release, a row written as it wrote them, then every
 * migration and the new storage class; and back: down() hands revoke_pending rows to the previous
 * release as revoked, drops the columns and the index, and up() works again.
 */

const REVOKE_COLUMNS = ['revoke_token_enc', 'revoke_token_fp', 'revoke_due_at', 'revoke_attempts'];
const INDEX = 'idx_quickbooks_connections_revoke_due';
const V2_ROW_COLUMNS =
  'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at,' +
  ' refresh_token_hard_expires_at, scopes, version, next_refresh_at, failure_count, created_at, updated_at, lease_generation';

interface Target {
  name: string;
  migration: string;
  /** Migrations after this one, which the upgrade runs too. */
  later: string[];
  migrations: Array<new () => unknown>;
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  columns(ds: DataSource): Promise<string[]>;
  hasIndex(ds: DataSource): Promise<boolean>;
}

const TARGETS: Target[] = [
  {
    name: 'MariaDB',
    migration: 'AddPendingRevocationMysql1767225900000',
    later: ['AddConnectionLifecycleMysql1767226000000', 'AddLastUsedMysql1767226100000'],
    migrations: QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
    create: async () => {
      const scratch = await createScratchDatabase('qb_upgrade_rv');
      return { options: { type: 'mysql', url: scratch.url }, drop: scratch.drop };
    },
    columns: async (ds) =>
      ((await ds.query("SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'")) as Array<{ name: string }>).map(
        (r) => r.name,
      ),
    hasIndex: async (ds) =>
      ((await ds.query('SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?', [INDEX])) as unknown[]).length > 0,
  },
  {
    name: 'SQLite',
    migration: 'AddPendingRevocationSqlite1767225900000',
    later: ['AddConnectionLifecycleSqlite1767226000000', 'AddLastUsedSqlite1767226100000'],
    migrations: QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qb-upgrade-rv-'));
      return { options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    columns: async (ds) => ((await ds.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`)) as Array<{ name: string }>).map((r) => r.name),
    hasIndex: async (ds) => ((await ds.query(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [INDEX])) as unknown[]).length > 0,
  },
];

describe.each(TARGETS)('TypeOrmTokenStorage: upgrade in place to pending revocations ($name)', (target) => {
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

  /** The refresh protocol v2 release: its three migrations, and a row as its saveConnection wrote it. */
  async function previousRelease(ref: ConnectionRef): Promise<{ refreshToken: string }> {
    const ds = await dataSource({ migrations: target.migrations.slice(0, 3) as DataSourceOptions['migrations'] });
    await ds.runMigrations({ transaction: 'each' });
    const conn = newConnection(ref.tenantId, ref.realmId);
    const now = Date.now();
    await ds.query(`INSERT INTO quickbooks_connections (${V2_ROW_COLUMNS}) VALUES (${V2_ROW_COLUMNS.split(',').map(() => '?').join(', ')})`, [
      ref.tenantId,
      ref.realmId,
      'sandbox',
      'active',
      sealToken(cipher, ref, ACCESS_TOKEN_FIELD, conn.accessToken),
      sealToken(cipher, ref, REFRESH_TOKEN_FIELD, conn.refreshToken),
      cipher.fingerprint(conn.refreshToken),
      conn.accessTokenExpiresAt.getTime(),
      conn.refreshTokenExpiresAt.getTime(),
      null,
      conn.scopes.join(' '),
      3,
      conn.nextRefreshAt.getTime(),
      0,
      now - 86_400_000,
      now - 3_600_000,
      2,
    ]);
    await ds.destroy();
    return { refreshToken: conn.refreshToken };
  }

  async function upgrade(): Promise<{ ds: DataSource; storage: TypeOrmTokenStorage; ran: string[] }> {
    const ds = await dataSource({ entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations: target.migrations as DataSourceOptions['migrations'] });
    const ran = await runQuickBooksMigrations(ds);
    return { ds, storage: new TypeOrmTokenStorage(ds, cipher), ran };
  }

  it('adds the columns and index; an old row reads as nothing pending, and a reconnect retires its token', async () => {
    const ref = { tenantId: 'tenant-upgrade-rv', realmId: '1' };
    const old = await previousRelease(ref);
    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual([target.migration, ...target.later]);
    expect(await target.columns(ds)).toEqual(expect.arrayContaining(REVOKE_COLUMNS));
    expect(await target.hasIndex(ds)).toBe(true);
    expect((await storage.get(ref))!).toMatchObject({ status: 'active', refreshToken: old.refreshToken, version: 3, leaseGeneration: 2 });
    expect(await storage.claimRevocations(new Date(Date.now() + 86_400_000), 10, 60_000)).toEqual([]);
    await storage.saveConnection(newConnection(ref.tenantId, ref.realmId));
    expect(await storage.claimRevocations(new Date(), 10, 60_000)).toEqual([expect.objectContaining({ ...ref, refreshToken: old.refreshToken, attempts: 0 })]);
  });

  it('up adds only what is missing (a half-applied upgrade)', async () => {
    const ref = { tenantId: 'tenant-half-rv', realmId: '1' };
    await previousRelease(ref);
    const half = await dataSource();
    await half.query('ALTER TABLE quickbooks_connections ADD COLUMN revoke_token_fp VARCHAR(128) NULL');
    await half.destroy();
    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual([target.migration, ...target.later]);
    expect((await target.columns(ds)).filter((c) => REVOKE_COLUMNS.includes(c)).sort()).toEqual([...REVOKE_COLUMNS].sort());
    await expect(storage.markRevokePending(ref, { retryAt: new Date(), errorCode: 'oauth_error' })).resolves.toBe(true);
  });

  it('down hands revoke_pending rows back as revoked and drops columns and index; up again works', async () => {
    const ref = { tenantId: 'tenant-down-rv', realmId: '1' };
    await previousRelease(ref);
    const { ds, storage } = await upgrade();
    await storage.markRevokePending(ref, { retryAt: new Date(), errorCode: 'oauth_error' });
    for (let i = 0; i <= target.later.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const columns = await target.columns(ds);
    for (const col of REVOKE_COLUMNS) expect(columns).not.toContain(col);
    expect(await target.hasIndex(ds)).toBe(false);
    // The previous release knows no revoke_pending: it reads a revoked row (tokens already wiped).
    expect(await ds.query('SELECT status, refresh_token_enc FROM quickbooks_connections')).toEqual([{ status: 'revoked', refresh_token_enc: null }]);
    expect(await runQuickBooksMigrations(ds)).toEqual([target.migration, ...target.later]);
    expect(await runQuickBooksMigrations(ds)).toEqual([]);
    expect((await storage.get(ref))!.status).toBe('revoked');
  });
});
