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
  runQuickBooksMigrations,
} from '../../../libs/quickbooks-auth/src/migrations';
import { createScratchDatabase } from '../../support/mariadb';
import { createScratchPostgresDatabase, pgPlaceholders } from '../../support/postgres';
import { makeCipher, newConnection } from '../support/storage-fixtures';

/**
 * Upgrade in place to the hard-expiry lifecycle (migration 1767226000000) on real databases: a row
 * written by the previous release (pending-revocation schema) reads as "no warning sent yet", can
 * be warned once and listed by the reconnect campaign; a half-applied upgrade completes; down()
 * drops the column and index, and up() works again.
 */

const DAY = 86_400_000;
const INDEX = 'idx_quickbooks_connections_hard_expiry';
const ROW_COLUMNS =
  'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at,' +
  ' refresh_token_hard_expires_at, scopes, version, next_refresh_at, failure_count, created_at, updated_at, lease_generation';

interface Target {
  name: string;
  migration: string;
  migrations: Array<new () => unknown>;
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  /** `?` placeholders as this driver wants them. */
  bind(sql: string): string;
  columns(ds: DataSource): Promise<string[]>;
  hasIndex(ds: DataSource): Promise<boolean>;
}

const TARGETS: Target[] = [
  {
    name: 'MariaDB',
    migration: 'AddConnectionLifecycleMysql1767226000000',
    migrations: QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
    create: async () => {
      const scratch = await createScratchDatabase('qb_upgrade_rc');
      return { options: { type: 'mysql', url: scratch.url }, drop: scratch.drop };
    },
    bind: (sql) => sql,
    columns: async (ds) =>
      ((await ds.query("SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'")) as Array<{ name: string }>).map(
        (r) => r.name,
      ),
    hasIndex: async (ds) => ((await ds.query('SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?', [INDEX])) as unknown[]).length > 0,
  },
  {
    name: 'PostgreSQL',
    migration: 'AddConnectionLifecyclePostgres1767226000000',
    migrations: QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
    create: async () => {
      const scratch = await createScratchPostgresDatabase('qb_upgrade_rc');
      return { options: { type: 'postgres', url: scratch.url }, drop: scratch.drop };
    },
    bind: pgPlaceholders,
    columns: async (ds) =>
      ((await ds.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'quickbooks_connections'`)) as Array<{ name: string }>).map(
        (r) => r.name,
      ),
    hasIndex: async (ds) => ((await ds.query(`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, [INDEX])) as unknown[]).length > 0,
  },
  {
    name: 'SQLite',
    migration: 'AddConnectionLifecycleSqlite1767226000000',
    migrations: QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qb-upgrade-rc-'));
      return { options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    bind: (sql) => sql,
    columns: async (ds) => ((await ds.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`)) as Array<{ name: string }>).map((r) => r.name),
    hasIndex: async (ds) => ((await ds.query(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [INDEX])) as unknown[]).length > 0,
  },
];

describe.each(TARGETS)('TypeOrmTokenStorage: upgrade in place to the hard-expiry lifecycle ($name)', (target) => {
  const { cipher } = makeCipher();
  let drop: () => Promise<void>;
  let options: DataSourceOptions;
  const open: DataSource[] = [];
  // Positions by name, so migrations added after this one (which the upgrade also runs) change nothing here.
  const names = () => target.migrations.map((M) => (new M() as { name: string }).name);
  const position = () => names().indexOf(target.migration);
  const previousMigrations = () => target.migrations.slice(0, position());
  const fromThisOne = () => names().slice(position());

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

  /** The previous release's schema and a row as its saveConnection wrote it, hard expiry 10 days out. */
  async function previousRelease(ref: ConnectionRef): Promise<DataSource> {
    const ds = await dataSource({ migrations: previousMigrations() as DataSourceOptions['migrations'] });
    await ds.runMigrations({ transaction: 'each' });
    const conn = newConnection(ref.tenantId, ref.realmId);
    const now = Date.now();
    await ds.query(target.bind(`INSERT INTO quickbooks_connections (${ROW_COLUMNS}) VALUES (${ROW_COLUMNS.split(',').map(() => '?').join(', ')})`), [
      ref.tenantId,
      ref.realmId,
      'sandbox',
      'active',
      sealToken(cipher, ref, ACCESS_TOKEN_FIELD, conn.accessToken),
      sealToken(cipher, ref, REFRESH_TOKEN_FIELD, conn.refreshToken),
      cipher.fingerprint(conn.refreshToken),
      conn.accessTokenExpiresAt.getTime(),
      conn.refreshTokenExpiresAt.getTime(),
      now + 10 * DAY,
      conn.scopes.join(' '),
      3,
      conn.nextRefreshAt.getTime(),
      0,
      now - DAY,
      now - 3_600_000,
      2,
    ]);
    return ds;
  }

  async function upgrade(): Promise<{ ds: DataSource; storage: TypeOrmTokenStorage; ran: string[] }> {
    const ds = await dataSource({ entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations: target.migrations as DataSourceOptions['migrations'] });
    const ran = await runQuickBooksMigrations(ds);
    return { ds, storage: new TypeOrmTokenStorage(ds, cipher), ran };
  }

  it('adds the column and index; an old row reads as not warned, is warned once and is listed', async () => {
    const ref = { tenantId: 'tenant-upgrade-rc', realmId: '1' };
    await previousRelease(ref);
    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual(fromThisOne());
    expect(await target.columns(ds)).toContain('reconnect_warned_days');
    expect(await target.hasIndex(ds)).toBe(true);
    expect((await storage.get(ref))!).toMatchObject({ status: 'active', version: 3, reconnectWarnedDays: null });
    await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(true);
    await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(false);
    const page = await storage.listReconnectDue(new Date(Date.now() + 30 * DAY), null, 10);
    expect(page.connections).toEqual([expect.objectContaining({ ...ref, reconnectWarnedDays: 30 })]);
  });

  it('up adds only what is missing (a half-applied upgrade)', async () => {
    const ref = { tenantId: 'tenant-half-rc', realmId: '1' };
    const half = await previousRelease(ref);
    await half.query('ALTER TABLE quickbooks_connections ADD COLUMN reconnect_warned_days INTEGER NULL');
    const { ds, storage, ran } = await upgrade();
    expect(ran).toEqual(fromThisOne());
    expect((await target.columns(ds)).filter((c) => c === 'reconnect_warned_days')).toHaveLength(1);
    expect(await target.hasIndex(ds)).toBe(true);
    await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(true);
  });

  it('down drops the column and index and keeps the row; up again works', async () => {
    const ref = { tenantId: 'tenant-down-rc', realmId: '1' };
    await previousRelease(ref);
    const { ds, storage } = await upgrade();
    await storage.claimReconnectWarning(ref, 30, new Date());
    for (let i = 0; i < fromThisOne().length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await target.columns(ds)).not.toContain('reconnect_warned_days');
    expect(await target.hasIndex(ds)).toBe(false);
    expect(await ds.query('SELECT status FROM quickbooks_connections')).toEqual([{ status: 'active' }]);
    expect(await runQuickBooksMigrations(ds)).toEqual(fromThisOne());
    expect((await storage.get(ref))!).toMatchObject({ status: 'active', reconnectWarnedDays: null });
  });
});
