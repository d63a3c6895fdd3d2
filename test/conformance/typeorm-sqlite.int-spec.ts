import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { QUICKBOOKS_AUTH_ENTITIES, runQuickBooksMigrations } from '@quickbooks-auth/nestjs/migrations';
import { describeTokenStorageConformance } from './token-storage.conformance';
import { typeOrmHarness } from './typeorm-harness';

// One temp SQLite file per suite, migrated once; each test starts from an empty table.
const dir = mkdtempSync(join(tmpdir(), 'qb-sqlite-'));
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = new DataSource({ type: 'better-sqlite3', database: join(dir, 'qb.sqlite'), entities: [...QUICKBOOKS_AUTH_ENTITIES] });
  await dataSource.initialize();
  expect(await runQuickBooksMigrations(dataSource)).toEqual(['CreateQuickbooksConnectionsSqlite1767225600000']);
  expect(await runQuickBooksMigrations(dataSource)).toEqual([]);
});

afterAll(async () => {
  await dataSource?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describeTokenStorageConformance('typeorm-sqlite', (keysSpec) => typeOrmHarness(dataSource, keysSpec, async () => undefined));
