import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, sealToken } from '@quickbooks-auth/nestjs/auth/storage/token-sealing';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import type { NewConnection } from '@quickbooks-auth/nestjs/auth/storage/token-storage.interface';
import {
  type TokenCipher,
  QUICKBOOKS_AUTH_ENTITIES,
  QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
  QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
  QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
  runQuickBooksMigrations,
} from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../../support/mariadb';
import { createScratchPostgresDatabase, pgPlaceholders } from '../../support/postgres';
import { makeCipher, newConnection } from '../support/storage-fixtures';

/**
 * One harness for the upgrade-in-place suites: a real database at the schema of the release
 * before a migration (every earlier migration, run and recorded by TypeORM's own runner), rows
 * written the way that release wrote them, then the new release (every migration, the storage
 * class), and the way back. A suite declares the migration, the servers and its tests.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

export type UpgradeServer = 'MariaDB' | 'PostgreSQL' | 'SQLite';

type MigrationClass = new () => { name?: string };

interface Server {
  /** The driver's word in migration class names (`AddLastUsedMysql1767226100000`). */
  suffix: string;
  migrations: MigrationClass[];
  create(label: string): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  /** `?` placeholders as this driver wants them. */
  bind(sql: string): string;
  columns(ds: DataSource): Promise<string[]>;
  hasIndex(ds: DataSource, index: string): Promise<boolean>;
}

const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name);

const SERVERS: Record<UpgradeServer, Server> = {
  MariaDB: {
    suffix: 'Mysql',
    migrations: QUICKBOOKS_AUTH_MYSQL_MIGRATIONS,
    create: async (label) => {
      const scratch = await createScratchDatabase(label);
      return { options: { type: 'mysql', url: scratch.url }, drop: scratch.drop };
    },
    bind: (sql) => sql,
    columns: async (ds) =>
      names(
        await ds.query(
          "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'",
        ),
      ),
    hasIndex: async (ds, index) =>
      (
        (await ds.query('SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = ?', [
          index,
        ])) as unknown[]
      ).length > 0,
  },
  PostgreSQL: {
    suffix: 'Postgres',
    migrations: QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS,
    create: async (label) => {
      const scratch = await createScratchPostgresDatabase(label);
      return { options: { type: 'postgres', url: scratch.url }, drop: scratch.drop };
    },
    bind: pgPlaceholders,
    columns: async (ds) =>
      names(
        await ds.query(
          `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'quickbooks_connections'`,
        ),
      ),
    hasIndex: async (ds, index) =>
      ((await ds.query(`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, [index])) as unknown[]).length >
      0,
  },
  SQLite: {
    suffix: 'Sqlite',
    migrations: QUICKBOOKS_AUTH_SQLITE_MIGRATIONS,
    create: async (label) => {
      const dir = mkdtempSync(join(tmpdir(), `${label}-`));
      return {
        options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    bind: (sql) => sql,
    columns: async (ds) => names(await ds.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`)),
    hasIndex: async (ds, index) =>
      ((await ds.query(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`, [index])) as unknown[]).length > 0,
  },
};

/** Column values by name, or made from the connection being seeded. */
export type Columns = Record<string, unknown> | ((conn: NewConnection) => Record<string, unknown>);

/** A connection row as an earlier release wrote it, and the plaintext it sealed. */
export interface SeededRow {
  accessToken: string;
  refreshToken: string;
  fingerprint: string;
  nextRefreshAt: number;
}

export interface UpgradeHarness {
  server: UpgradeServer;
  cipher: TokenCipher;
  /** This migration and every later one, as the new release's runner applies them (oldest first). */
  fromThisOne: string[];
  /** The new release's migration set for this server, for suites that run TypeORM's own runner. */
  migrations: DataSourceOptions['migrations'];
  /** A DataSource on the suite's database, closed after the test; `extra` adds entities or migrations. */
  dataSource(extra?: Partial<DataSourceOptions>): Promise<DataSource>;
  /** The release before this migration: every earlier migration, run and recorded by TypeORM's runner. */
  previousRelease(): Promise<DataSource>;
  /**
   * Writes a connection with the columns every release has had (tokens sealed by the suite's
   * cipher, 'active', version 3, created a day ago) plus or overriding `columns`: only those an
   * earlier release wrote.
   */
  seedConnection(ds: DataSource, ref: ConnectionRef, columns?: Columns): Promise<SeededRow>;
  /** The new release on the same database: every migration through the module's runner, then the storage class. */
  upgrade(): Promise<{ ds: DataSource; storage: TypeOrmTokenStorage; ran: string[] }>;
  /** Undoes this migration and every later one, back to the previous release's schema. */
  downToPreviousRelease(ds: DataSource): Promise<void>;
  columns(ds: DataSource): Promise<string[]>;
  hasIndex(ds: DataSource, index: string): Promise<boolean>;
}

export interface UpgradeSuite {
  /** The migration's name without the driver's word, e.g. `AddLastUsed1767226100000`. */
  migration: string;
  servers: UpgradeServer[];
  /** Prefix of the scratch database or directory names. */
  label: string;
}

/** One `describe` per server, each test on its own fresh database. */
export function describeUpgrade(title: string, suite: UpgradeSuite, tests: (h: UpgradeHarness) => void): void {
  describe.each(suite.servers)(`${title} (%s)`, (serverName) => {
    const server = SERVERS[serverName];
    const timestamp = (M: MigrationClass) => Number(migrationName(M).slice(-13));
    const migrationName = (M: MigrationClass) => new M().name ?? M.name;
    const target = suite.migration.replace(/(\d{13})$/, `${server.suffix}$1`);
    const targetClass = server.migrations.find((M) => migrationName(M) === target);
    if (!targetClass) throw new Error(`no ${serverName} migration named ${target}`);
    const previous = server.migrations.filter((M) => timestamp(M) < timestamp(targetClass));
    const fromThisOne = server.migrations
      .filter((M) => timestamp(M) >= timestamp(targetClass))
      .sort((a, b) => timestamp(a) - timestamp(b))
      .map(migrationName);

    const { cipher } = makeCipher();
    let options: DataSourceOptions;
    let drop: () => Promise<void>;
    const open: DataSource[] = [];

    beforeEach(async () => {
      ({ options, drop } = await server.create(suite.label));
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

    const harness: UpgradeHarness = {
      server: serverName,
      cipher,
      fromThisOne,
      migrations: server.migrations as DataSourceOptions['migrations'],
      dataSource,
      async previousRelease() {
        const ds = await dataSource({ migrations: previous as DataSourceOptions['migrations'] });
        await ds.runMigrations({ transaction: 'each' });
        return ds;
      },
      async seedConnection(ds, ref, columns = {}) {
        const conn = newConnection(ref.tenantId, ref.realmId);
        const now = Date.now();
        const fingerprint = cipher.fingerprint(conn.refreshToken);
        const row: Record<string, unknown> = {
          tenant_id: ref.tenantId,
          realm_id: ref.realmId,
          environment: 'sandbox',
          status: 'active',
          access_token_enc: sealToken(cipher, ref, ACCESS_TOKEN_FIELD, conn.accessToken),
          refresh_token_enc: sealToken(cipher, ref, REFRESH_TOKEN_FIELD, conn.refreshToken),
          refresh_token_fp: fingerprint,
          access_token_expires_at: conn.accessTokenExpiresAt.getTime(),
          refresh_token_expires_at: conn.refreshTokenExpiresAt.getTime(),
          refresh_token_hard_expires_at: null,
          scopes: conn.scopes.join(' '),
          version: 3,
          next_refresh_at: conn.nextRefreshAt.getTime(),
          failure_count: 0,
          created_at: now - DAY,
          updated_at: now - HOUR,
          ...(typeof columns === 'function' ? columns(conn) : columns),
        };
        const keys = Object.keys(row);
        await ds.query(
          server.bind(`INSERT INTO quickbooks_connections (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`),
          Object.values(row),
        );
        return { accessToken: conn.accessToken, refreshToken: conn.refreshToken, fingerprint, nextRefreshAt: Number(row.next_refresh_at) };
      },
      async upgrade() {
        const ds = await dataSource({ entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations: harness.migrations });
        const ran = await runQuickBooksMigrations(ds);
        return { ds, storage: new TypeOrmTokenStorage(ds, cipher), ran };
      },
      async downToPreviousRelease(ds) {
        for (let i = 0; i < fromThisOne.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      },
      columns: (ds) => server.columns(ds),
      hasIndex: (ds, index) => server.hasIndex(ds, index),
    };

    tests(harness);
  });
}
