import { DataSource } from 'typeorm';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { TypeOrmStateNonceStore } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-state-nonce.store';
import { QUICKBOOKS_AUTH_ENTITIES, QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS, runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { cipherFor, describeTokenStorageConformance, newKeySpec } from '@quickbooks-auth/nestjs/testing';
import { createScratchPostgresDatabase } from '../support/postgres';
import { CountingLogger } from './counting-logger';
import { typeOrmHarness } from './typeorm-harness';

// A fresh database on the real PostgreSQL (POSTGRES_URL) for this suite, created by the
// PostgreSQL migrations (not synchronize); each test starts from an empty table.
let scratch: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
let dataSource: DataSource;
const logger = new CountingLogger();

beforeAll(async () => {
  scratch = await createScratchPostgresDatabase('qb_conf');
  dataSource = new DataSource({ type: 'postgres', url: scratch.url, entities: [...QUICKBOOKS_AUTH_ENTITIES], logger, extra: { max: 20 } });
  await dataSource.initialize();
  expect(await runQuickBooksMigrations(dataSource)).toHaveLength(QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS.length);
  expect(await runQuickBooksMigrations(dataSource)).toEqual([]);
});

afterAll(async () => {
  await dataSource?.destroy();
  await scratch?.drop();
});

describeTokenStorageConformance('typeorm-postgres', (keysSpec) => typeOrmHarness(dataSource, keysSpec, async () => undefined));

const now = Date.now();
const connection = (ref: { tenantId: string; realmId: string }, token: string, nextRefreshAt = new Date(now)) => ({
  ...ref,
  environment: 'sandbox' as const,
  accessToken: `AT-${token}`,
  refreshToken: `RT-${token}`,
  accessTokenExpiresAt: new Date(now + 3600_000),
  refreshTokenExpiresAt: new Date(now + 86400_000),
  refreshTokenHardExpiresAt: null,
  scopes: ['com.intuit.quickbooks.accounting'],
  nextRefreshAt,
});

describe('TypeOrmTokenStorage on PostgreSQL', () => {
  it('reports kind typeorm-postgres', () => {
    expect(new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1'))).kind).toBe('typeorm-postgres');
  });

  it('a refresh (acquireLease + beginCall + compareAndSwapTokens) costs 3 statements, a claim 1 (UPDATE ... SKIP LOCKED ... RETURNING)', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-bench', realmId: '1' };
    const stored = await storage.saveConnection(connection(ref, 'x'));
    logger.statements = [];
    const leased = await storage.acquireLease(ref, 'bench', 60_000);
    const lease = { owner: 'bench', generation: leased!.leaseGeneration };
    expect(await storage.beginCall(ref, lease, { fingerprint: leased!.refreshTokenFingerprint, callBudgetMs: 30_000, ttlMs: 60_000 })).toBe(
      true,
    );
    const swapped = await storage.compareAndSwapTokens(
      ref,
      leased!.refreshTokenFingerprint,
      {
        accessToken: 'AT-y',
        refreshToken: 'RT-y',
        accessTokenExpiresAt: new Date(now + 7200_000),
        refreshTokenExpiresAt: new Date(now + 86400_000),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(now + 3000_000),
      },
      lease,
    );
    expect(swapped?.refreshToken).toBe('RT-y');
    expect(stored.version).toBeLessThan(swapped!.version);
    expect(logger.statements).toHaveLength(3);
    expect(logger.statements.every((s) => !s.includes('?'))).toBe(true);

    await storage.saveConnection(connection(ref, 'z', new Date(now + 3600_000)));
    logger.statements = [];
    const claimed = await storage.claimDue(new Date(now + 7200_000), 100, 'claimer', 60_000);
    expect(claimed).toHaveLength(1);
    expect(claimed[0].leaseOwner).toBe('claimer');
    expect(logger.statements).toHaveLength(1);
    expect(logger.statements[0]).toMatch(/FOR UPDATE SKIP LOCKED[\s\S]*RETURNING/);
  });

  it('concurrent claimers split the due rows: none claimed twice, none left behind', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const refs = Array.from({ length: 40 }, (_, i) => ({ tenantId: `tenant-claim-${i}`, realmId: '1' }));
    for (const ref of refs) await storage.saveConnection(connection(ref, ref.tenantId));
    const batches = await Promise.all(
      Array.from({ length: 8 }, (_, i) => storage.claimDue(new Date(now + 60_000), 10, `claimer-${i}`, 60_000)),
    );
    const claimed = batches.flat().map((c) => c.tenantId);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.filter((t) => t.startsWith('tenant-claim-')).sort()).toEqual(refs.map((r) => r.tenantId).sort());
  });

  it('concurrent acquisitions by one owner never hand out the same generation twice', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-same-owner', realmId: '1' };
    await storage.saveConnection(connection(ref, 's'));
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => storage.acquireLease(ref, 'same-owner', 60_000)));
    const generations = outcomes.filter((o) => o !== null).map((o) => o!.leaseGeneration);
    expect(generations.length).toBeGreaterThan(0);
    expect(new Set(generations).size).toBe(generations.length);
    expect((await storage.get(ref))!.leaseGeneration).toBeGreaterThanOrEqual(Math.max(...generations));
  });

  it('the hot path runs named prepared statements, parsed once per pooled connection', async () => {
    // One pooled connection, so the session that prepared them is the one asked.
    const single = await new DataSource({
      type: 'postgres',
      url: scratch.url,
      entities: [...QUICKBOOKS_AUTH_ENTITIES],
      extra: { max: 1 },
    }).initialize();
    try {
      const storage = new TypeOrmTokenStorage(single, cipherFor(newKeySpec('k1')));
      const ref = { tenantId: 'tenant-prepared', realmId: '1' };
      await storage.saveConnection(connection(ref, 'p'));
      for (let i = 0; i < 3; i++) expect((await storage.get(ref))?.refreshToken).toBe('RT-p');
      const prepared: Array<{ name: string; statement: string }> = await single.query('SELECT name, statement FROM pg_prepared_statements');
      const reads = prepared.filter(
        (p) => p.name.startsWith('qb_') && /FROM quickbooks_connections WHERE tenant_id = \$1 AND realm_id = \$2$/.test(p.statement),
      );
      expect(reads).toHaveLength(1);
    } finally {
      await single.destroy();
    }
  });

  it('the claim query can use the due index', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      // An almost empty table is read sequentially anyway: ask whether the index serves the query.
      await runner.query('SET enable_seqscan = off');
      const plan: Array<Record<string, string>> = await runner.query(
        "EXPLAIN SELECT id FROM quickbooks_connections WHERE status IN ('active', 'reauth_pending') AND next_refresh_at <= $1 ORDER BY next_refresh_at LIMIT 100",
        [Date.now()],
      );
      expect(JSON.stringify(plan)).toContain('idx_quickbooks_connections_due');
    } finally {
      await runner.query('RESET enable_seqscan');
      await runner.release();
    }
  });

  it('an OAuth state nonce is consumed once', async () => {
    const nonces = new TypeOrmStateNonceStore(dataSource);
    const expires = new Date(Date.now() + 600_000);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => nonces.consume('nonce-pg-1', expires)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await nonces.consume('nonce-pg-2', expires)).toBe(true);
  });

  it('a missing table yields a StorageError that says to run the migrations', async () => {
    await dataSource.query('ALTER TABLE quickbooks_connections RENAME TO quickbooks_connections_away');
    try {
      const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
      await expect(storage.get({ tenantId: 't', realmId: 'r' })).rejects.toThrow(/\[42P01\].*run the QuickBooks auth migrations/);
    } finally {
      await dataSource.query('ALTER TABLE quickbooks_connections_away RENAME TO quickbooks_connections');
    }
  });
});
