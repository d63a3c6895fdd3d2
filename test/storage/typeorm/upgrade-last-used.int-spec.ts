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
  QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
  QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
} from '../../../libs/quickbooks-auth/src/migrations';
import { createScratchDatabase } from '../../support/mariadb';
import { createScratchPostgresDatabase } from '../../support/postgres';
import { makeCipher, newConnection } from '../support/storage-fixtures';

/**
 * Upgrade in place to last use (migration 1767226100000) on real databases: the pending-revocation
 * schema of the previous release, a row written as it wrote them, then the migration and the new
 * storage class (the old row reads as never used, recordUse works on it); and back: down() drops
 * the column, up() works again.
 */

const ROW_COLUMNS =
  'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at,' +
  ' refresh_token_hard_expires_at, scopes, version, next_refresh_at, failure_count, created_at, updated_at, lease_generation';

interface Target {
  name: string;
  migration: string;
  migrations: Array<new () => unknown>;
  /** Placeholders as the driver wants them. */
  placeholders(n: number): string;
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  columns(ds: DataSource): Promise<string[]>;
}

const INFORMATION_SCHEMA_COLUMNS = async (ds: DataSource, schema: string) =>
  ((await ds.query(`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = 'quickbooks_connections'`)) as Array<{ name: string }>).map((r) => r.name);

const TARGETS: Target[] = [
  {
    name: 'MariaDB',
    migration: 'AddLastUsedMysql1767226100000',
    migrations: QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
    placeholders: (n) => Array.from({ length: n }, () => '?').join(', '),
    create: async () => {
      const scratch = await createScratchDatabase('qb_upgrade_lu');
      return { options: { type: 'mysql', url: scratch.url }, drop: scratch.drop };
    },
    columns: (ds) => INFORMATION_SCHEMA_COLUMNS(ds, 'DATABASE()'),
  },
  {
    name: 'PostgreSQL',
    migration: 'AddLastUsedPostgres1767226100000',
    migrations: QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
    placeholders: (n) => Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', '),
    create: async () => {
      const scratch = await createScratchPostgresDatabase('qb_upgrade_lu');
      return { options: { type: 'postgres', url: scratch.url }, drop: scratch.drop };
    },
    columns: async (ds) =>
      ((await ds.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'quickbooks_connections'`)) as Array<{ name: string }>).map(
        (r) => r.name,
      ),
  },
  {
    name: 'SQLite',
    migration: 'AddLastUsedSqlite1767226100000',
    migrations: QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
    placeholders: (n) => Array.from({ length: n }, () => '?').join(', '),
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qb-upgrade-lu-'));
      return { options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    columns: async (ds) => ((await ds.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`)) as Array<{ name: string }>).map((r) => r.name),
  },
];

describe.each(TARGETS)('TypeOrmTokenStorage: upgrade in place to last use ($name)', (target) => {
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

  async function dataSource(migrations: Array<new () => unknown>): Promise<DataSource> {
    const ds = new DataSource({ ...options, entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations } as DataSourceOptions);
    await ds.initialize();
    open.push(ds);
    return ds;
  }

  /** The pending-revocation release: every migration before this one, and a row as it wrote them. */
  async function previousRelease(ref: ConnectionRef): Promise<{ refreshToken: string; nextRefreshAt: number }> {
    const before = target.migrations.slice(0, target.migrations.findIndex((m) => m.name === target.migration));
    const ds = await dataSource(before);
    await ds.runMigrations({ transaction: 'each' });
    const conn = newConnection(ref.tenantId, ref.realmId);
    const now = Date.now();
    const values = [
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
    ];
    await ds.query(`INSERT INTO quickbooks_connections (${ROW_COLUMNS}) VALUES (${target.placeholders(values.length)})`, values);
    await ds.destroy();
    return { refreshToken: conn.refreshToken, nextRefreshAt: conn.nextRefreshAt.getTime() };
  }

  it('adds the column; an old row reads as never used, and recordUse then records on it', async () => {
    const ref = { tenantId: 'tenant-upgrade-lu', realmId: '1' };
    const old = await previousRelease(ref);
    const ds = await dataSource(target.migrations);
    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([target.migration]);
    expect(await target.columns(ds)).toContain('last_used_at');
    const storage = new TypeOrmTokenStorage(ds, cipher);
    expect((await storage.get(ref))!).toMatchObject({ status: 'active', refreshToken: old.refreshToken, version: 3, lastUsedAt: null });
    const usedAt = new Date();
    await storage.recordUse(ref, { usedAt, pullForward: null });
    expect((await storage.get(ref))!).toMatchObject({ version: 3, lastUsedAt: usedAt, nextRefreshAt: new Date(old.nextRefreshAt) });
  });

  it('down drops the column (the previous release reads the row as it was); up again works', async () => {
    const ref = { tenantId: 'tenant-down-lu', realmId: '1' };
    await previousRelease(ref);
    const ds = await dataSource(target.migrations);
    await ds.runMigrations({ transaction: 'each' });
    await new TypeOrmTokenStorage(ds, cipher).recordUse(ref, { usedAt: new Date(), pullForward: null });
    await ds.undoLastMigration({ transaction: 'each' });
    expect(await target.columns(ds)).not.toContain('last_used_at');
    expect(await ds.query('SELECT status FROM quickbooks_connections')).toEqual([{ status: 'active' }]);
    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([target.migration]);
    expect(await ds.runMigrations({ transaction: 'each' })).toEqual([]);
    expect((await new TypeOrmTokenStorage(ds, cipher).get(ref))!.lastUsedAt).toBeNull();
  });

  it('up is safe to run again over a column that already exists (a half-applied upgrade)', async () => {
    const ref = { tenantId: 'tenant-half-lu', realmId: '1' };
    await previousRelease(ref);
    const ds = await dataSource(target.migrations);
    await ds.query('ALTER TABLE quickbooks_connections ADD COLUMN last_used_at BIGINT NULL');
    expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual([target.migration]);
    expect((await target.columns(ds)).filter((c) => c === 'last_used_at')).toEqual(['last_used_at']);
  });
});
