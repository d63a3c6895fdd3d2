import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { QuickBooksConnectionEntity } from '@quickbooks-auth/nestjs/auth/storage/typeorm/quickbooks-connection.entity';
import { SealedToken } from '@quickbooks-auth/nestjs/auth/storage/typeorm/sealed-token';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { ConfigurationError, StorageError, QUICKBOOKS_AUTH_ENTITIES, runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { cipherFor, describeTokenStorageConformance, newKeySpec } from '@quickbooks-auth/nestjs/testing';
import { typeOrmHarness } from './typeorm-harness';

// One temp SQLite file per suite, migrated once; each test starts from an empty table.
const dir = mkdtempSync(join(tmpdir(), 'qb-sqlite-'));
let dataSource: DataSource;

beforeAll(async () => {
  dataSource = new DataSource({ type: 'better-sqlite3', database: join(dir, 'qb.sqlite'), entities: [...QUICKBOOKS_AUTH_ENTITIES] });
  await dataSource.initialize();
  expect(await runQuickBooksMigrations(dataSource)).toEqual([
    'CreateQuickbooksConnectionsSqlite1767225600000',
    'CreateQuickbooksOauthStatesSqlite1767225700000',
    'AddRefreshProtocolV2Sqlite1767225800000',
    'AddPendingRevocationSqlite1767225900000',
    'AddConnectionLifecycleSqlite1767226000000',
    'AddLastUsedSqlite1767226100000',
  ]);
  expect(await runQuickBooksMigrations(dataSource)).toEqual([]);
});

afterAll(async () => {
  await dataSource?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describeTokenStorageConformance('typeorm-sqlite', (keysSpec) => typeOrmHarness(dataSource, keysSpec, async () => undefined));

describe('TypeOrmTokenStorage on SQLite', () => {
  it('reports kind typeorm-sqlite', () => {
    expect(new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1'))).kind).toBe('typeorm-sqlite');
  });

  it('the guard transformer refuses a plaintext token written through TypeORM', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-guard', realmId: '1' };
    await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-guard',
      refreshToken: 'RT-guard',
      accessTokenExpiresAt: new Date(),
      refreshTokenExpiresAt: new Date(),
      refreshTokenHardExpiresAt: null,
      scopes: [],
      nextRefreshAt: new Date(),
    });
    const write = () =>
      dataSource
        .createQueryBuilder()
        .update(QuickBooksConnectionEntity)
        .set({ refreshTokenEnc: 'RT-plain' as unknown as SealedToken })
        .where('tenant_id = :tenantId', ref)
        .execute();
    await expect(write()).rejects.toBeInstanceOf(StorageError);
    expect((await storage.get(ref))!.refreshToken).toBe('RT-guard');
    const dump = JSON.stringify(await dataSource.query('SELECT * FROM quickbooks_connections'));
    expect(dump).not.toContain('RT-plain');
  });

  it('a DataSource without the entity is refused with a clear configuration error', async () => {
    const bare = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await bare.initialize();
    try {
      expect(() => new TypeOrmTokenStorage(bare, cipherFor(newKeySpec('k1')))).toThrow(ConfigurationError);
      expect(() => new TypeOrmTokenStorage(bare, cipherFor(newKeySpec('k1')))).toThrow(/QUICKBOOKS_AUTH_ENTITIES/);
    } finally {
      await bare.destroy();
    }
  });
});
