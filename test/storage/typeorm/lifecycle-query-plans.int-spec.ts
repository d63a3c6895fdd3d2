import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions, type Logger } from 'typeorm';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { QUICKBOOKS_AUTH_ENTITIES, runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../../support/mariadb';
import { createScratchPostgresDatabase, pgPlaceholders } from '../../support/postgres';
import { insertConnectionsWithDeadlines } from '../support/deadline-rows';
import { makeCipher } from '../support/storage-fixtures';

/**
 * The reconnect campaign and the Disconnect URL lookup are index scans, not table scans, on every
 * SQL store: 5,000 connections with deadlines spread over 5 years, statistics gathered, then the
 * very statements the storage sent (captured from the DataSource logger) are EXPLAINed.
 */

const ROWS = 5_000;
const DAY = 86_400_000;

class Captured implements Logger {
  statements: Array<{ sql: string; params: unknown[] }> = [];
  logQuery(sql: string, params?: unknown[]): void {
    this.statements.push({ sql, params: params ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

interface Target {
  name: string;
  create(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }>;
  bind(sql: string): string;
  analyze: string;
  /** The index names the plan of `sql` searches a range of; throws when it reads a whole table or a whole index. */
  indexesUsed(ds: DataSource, sql: string, params: unknown[]): Promise<string[]>;
}

const TARGETS: Target[] = [
  {
    name: 'MariaDB',
    create: async () => {
      const db = await createScratchDatabase('qb_plans');
      return { options: { type: 'mysql', url: db.url }, drop: db.drop };
    },
    bind: (sql) => sql,
    analyze: 'ANALYZE TABLE quickbooks_connections',
    indexesUsed: async (ds, sql, params) => {
      const rows: Array<{ type: string; key: string | null }> = await ds.query(`EXPLAIN ${sql}`, params);
      if (rows.some((r) => !['range', 'ref', 'eq_ref', 'const'].includes(r.type) || r.key === null))
        throw new Error(`not an index range: ${JSON.stringify(rows)}`);
      return rows.map((r) => r.key!);
    },
  },
  {
    name: 'PostgreSQL',
    create: async () => {
      const db = await createScratchPostgresDatabase('qb_plans');
      return { options: { type: 'postgres', url: db.url }, drop: db.drop };
    },
    bind: pgPlaceholders,
    analyze: 'ANALYZE quickbooks_connections',
    indexesUsed: async (ds, sql, params) => {
      // ANALYZE: an index read from its start and filtered shows as rows removed by the filter.
      const [{ 'QUERY PLAN': plan }] = (await ds.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params)) as Array<{
        'QUERY PLAN': unknown;
      }>;
      const text = JSON.stringify(plan);
      const removed = [...text.matchAll(/"Rows Removed by Filter":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      if (text.includes('"Seq Scan"') || removed > 100) throw new Error(`not an index range: ${text}`);
      return [...text.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);
    },
  },
  {
    name: 'SQLite',
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'qb-plans-'));
      return {
        options: { type: 'better-sqlite3', database: join(dir, 'qb.sqlite') },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
    bind: (sql) => sql,
    analyze: 'ANALYZE',
    indexesUsed: async (ds, sql, params) => {
      const rows: Array<{ detail: string }> = await ds.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      if (rows.some((r) => /^SCAN quickbooks_connections\b/.test(r.detail))) throw new Error(`not an index range: ${JSON.stringify(rows)}`);
      return rows.flatMap((r) => [...r.detail.matchAll(/USING (?:COVERING )?INDEX (\w+)/g)].map((m) => m[1]));
    },
  },
];

describe.each(TARGETS)('lifecycle queries use their indexes ($name)', (target) => {
  const { cipher } = makeCipher();
  const logger = new Captured();
  let ds: DataSource;
  let storage: TypeOrmTokenStorage;
  let drop: () => Promise<void>;
  const now = Date.now();

  beforeAll(async () => {
    const created = await target.create();
    drop = created.drop;
    ds = await new DataSource({ ...created.options, entities: [...QUICKBOOKS_AUTH_ENTITIES], logger } as DataSourceOptions).initialize();
    await runQuickBooksMigrations(ds);
    await insertConnectionsWithDeadlines(ds, target.bind, { count: ROWS, tenants: 97, now, spreadDays: 5 * 365 });
    await ds.query(target.analyze);
    storage = new TypeOrmTokenStorage(ds, cipher);
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  /** Runs `call`, then returns the one statement it sent that matches `marker`. */
  async function statementOf(call: () => Promise<unknown>, marker: string): Promise<{ sql: string; params: unknown[] }> {
    logger.statements = [];
    await call();
    const found = logger.statements.filter((s) => s.sql.includes(marker));
    expect(found).toHaveLength(1);
    return found[0];
  }

  it('the plan check itself sees a table scan (an unindexed filter)', async () => {
    await expect(target.indexesUsed(ds, target.bind('SELECT id FROM quickbooks_connections WHERE scopes = ?'), ['none'])).rejects.toThrow(
      /not an index range/,
    );
  });

  it('a campaign page, first or 4,000 rows deep, is a range of idx_quickbooks_connections_hard_expiry', async () => {
    const window = new Date(now + 6 * 365 * DAY);
    const deep = await storage.listReconnectDue(window, null, 4000);
    expect(deep.connections).toHaveLength(4000);
    for (const cursor of [null, deep.nextCursor]) {
      const { sql, params } = await statementOf(
        () => storage.listReconnectDue(window, cursor, 50),
        'ORDER BY refresh_token_hard_expires_at',
      );
      expect(await target.indexesUsed(ds, sql, params)).toContain('idx_quickbooks_connections_hard_expiry');
    }
  });

  it('the Disconnect URL lookup is an index lookup on idx_quickbooks_connections_realm', async () => {
    const { sql, params } = await statementOf(() => storage.listRefsByRealm('1000000042', 25), 'WHERE realm_id = ');
    expect(await storage.listRefsByRealm('1000000042', 25)).toEqual([{ tenantId: `tenant-${42 % 97}`, realmId: '1000000042' }]);
    expect(await target.indexesUsed(ds, sql, params)).toContain('idx_quickbooks_connections_realm');
  });
});
