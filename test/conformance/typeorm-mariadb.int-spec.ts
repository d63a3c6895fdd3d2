import { DataSource } from 'typeorm';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { QUICKBOOKS_AUTH_ENTITIES, runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../support/mariadb';
import { cipherFor, describeTokenStorageConformance, newKeySpec } from '@quickbooks-auth/nestjs/testing';
import { CountingLogger } from './counting-logger';
import { typeOrmHarness } from './typeorm-harness';

// A fresh database on the real MariaDB/MySQL (DATABASE_URL) for this suite, created by the MySQL
// migration (not synchronize); each test starts from an empty table.
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let dataSource: DataSource;
const logger = new CountingLogger();

beforeAll(async () => {
  scratch = await createScratchDatabase('qb_conf');
  dataSource = new DataSource({
    type: 'mysql',
    url: scratch.url,
    entities: [...QUICKBOOKS_AUTH_ENTITIES],
    logger,
    extra: { connectionLimit: 20 },
  });
  await dataSource.initialize();
  expect(await runQuickBooksMigrations(dataSource)).toEqual([
    'CreateQuickbooksConnectionsMysql1767225600000',
    'CreateQuickbooksOauthStatesMysql1767225700000',
    'AddRefreshProtocolV2Mysql1767225800000',
    'AddPendingRevocationMysql1767225900000',
    'AddConnectionLifecycleMysql1767226000000',
    'AddLastUsedMysql1767226100000',
  ]);
  expect(await runQuickBooksMigrations(dataSource)).toEqual([]);
});

afterAll(async () => {
  await dataSource?.destroy();
  await scratch?.drop();
});

describeTokenStorageConformance('typeorm-mariadb', (keysSpec) => typeOrmHarness(dataSource, keysSpec, async () => undefined));

describe('TypeOrmTokenStorage on MariaDB', () => {
  it('reports kind typeorm-mysql', () => {
    expect(new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1'))).kind).toBe('typeorm-mysql');
  });

  it('a refresh (acquireLease + beginCall + compareAndSwapTokens) costs at most 5 statements', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-bench', realmId: '1' };
    const now = Date.now();
    const stored = await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-x',
      refreshToken: 'RT-x',
      accessTokenExpiresAt: new Date(now + 3600_000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      scopes: ['com.intuit.quickbooks.accounting'],
      nextRefreshAt: new Date(now),
    });
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
    expect(logger.statements).toHaveLength(5);

    logger.statements = [];
    await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-z',
      refreshToken: 'RT-z',
      accessTokenExpiresAt: new Date(now),
      refreshTokenExpiresAt: new Date(now),
      refreshTokenHardExpiresAt: null,
      scopes: [],
      nextRefreshAt: new Date(now + 3600_000),
    });
    logger.statements = [];
    const claimed = await storage.claimDue(new Date(now + 7200_000), 100, 'claimer', 60_000);
    expect(claimed).toHaveLength(1);
    // SET TRANSACTION ISOLATION LEVEL, START TRANSACTION, SELECT ... FOR UPDATE SKIP LOCKED, UPDATE, COMMIT
    expect(logger.statements.length).toBeLessThanOrEqual(5);
    expect(logger.statements.some((s) => /FOR UPDATE SKIP LOCKED/.test(s))).toBe(true);
  });

  it('a scheduled refresh costs one statement past its share of the claim: the claim begins the call, the swap is not read back', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-bench-scheduled', realmId: '1' };
    const now = Date.now();
    const input = {
      ...ref,
      environment: 'sandbox' as const,
      accessToken: 'AT-s1',
      refreshToken: 'RT-s1',
      accessTokenExpiresAt: new Date(now + 3600_000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      scopes: ['com.intuit.quickbooks.accounting'],
      nextRefreshAt: new Date(now - 1000),
    };
    await storage.saveConnection(input);
    logger.statements = [];
    const [claimed] = (await storage.claimDue(new Date(now), 100, 'sched', 60_000, undefined, { beginCalls: true })).filter(
      (c) => c.tenantId === ref.tenantId,
    );
    expect(claimed.inflight).toMatchObject({
      owner: 'sched',
      generation: claimed.leaseGeneration,
      fingerprint: claimed.refreshTokenFingerprint,
    });
    const claimStatements = logger.statements.length;
    expect(claimStatements).toBeLessThanOrEqual(5);
    logger.statements = [];
    const lease = { owner: 'sched', generation: claimed.leaseGeneration };
    const swapped = await storage.compareAndSwapTokens(
      ref,
      claimed.refreshTokenFingerprint,
      {
        accessToken: 'AT-s2',
        refreshToken: 'RT-s2',
        accessTokenExpiresAt: new Date(now + 7200_000),
        refreshTokenExpiresAt: new Date(now + 86400_000),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(now + 3000_000),
      },
      lease,
      claimed,
    );
    expect(logger.statements).toHaveLength(1);
    const stored = (await storage.get(ref))!;
    expect(swapped).toMatchObject({
      refreshToken: 'RT-s2',
      accessToken: 'AT-s2',
      version: stored.version,
      leaseOwner: null,
      inflight: null,
      leaseGeneration: stored.leaseGeneration,
    });
    expect(stored.refreshToken).toBe('RT-s2');
  });

  it("a rotated swap landing after a takeover reads the row back: the other holder's lease is reported as it is", async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-late-swap', realmId: '1' };
    const now = Date.now();
    await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-l1',
      refreshToken: 'RT-l1',
      accessTokenExpiresAt: new Date(now + 3600_000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      scopes: [],
      nextRefreshAt: new Date(now),
    });
    const first = (await storage.acquireLease(ref, 'first', 100))!;
    await new Promise((r) => setTimeout(r, 200));
    const second = (await storage.acquireLease(ref, 'second', 60_000))!;
    const swapped = await storage.compareAndSwapTokens(
      ref,
      first.refreshTokenFingerprint,
      {
        accessToken: 'AT-l2',
        refreshToken: 'RT-l2',
        accessTokenExpiresAt: new Date(now + 7200_000),
        refreshTokenExpiresAt: new Date(now + 86400_000),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(now + 3000_000),
      },
      { owner: 'first', generation: first.leaseGeneration },
      first,
    );
    expect(swapped).toMatchObject({ refreshToken: 'RT-l2', leaseOwner: 'second', leaseGeneration: second.leaseGeneration });
    expect(swapped).toEqual(await storage.get(ref));
  });

  it('concurrent acquisitions by one owner never hand out the same generation twice (the re-read is checked against LAST_INSERT_ID)', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-same-owner', realmId: '1' };
    const now = Date.now();
    await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-s',
      refreshToken: 'RT-s',
      accessTokenExpiresAt: new Date(now + 3600_000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      scopes: [],
      nextRefreshAt: new Date(now),
    });
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => storage.acquireLease(ref, 'same-owner', 60_000)));
    const generations = outcomes.filter((o) => o !== null).map((o) => o!.leaseGeneration);
    expect(generations.length).toBeGreaterThan(0);
    expect(new Set(generations).size).toBe(generations.length);
    // The newest acquisition is the one that holds the row.
    expect((await storage.get(ref))!.leaseGeneration).toBeGreaterThanOrEqual(Math.max(...generations));
  });

  it('the claim query uses the due index', async () => {
    const plan: Array<Record<string, unknown>> = await dataSource.query(
      "EXPLAIN SELECT id FROM quickbooks_connections WHERE status IN ('active', 'reauth_pending') AND next_refresh_at <= ? ORDER BY next_refresh_at LIMIT 100",
      [Date.now()],
    );
    expect(JSON.stringify(plan)).toContain('idx_quickbooks_connections_due');
  });

  it('the claim reads each status as an ordered index range: no sort over the due rows, however many are due', async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    logger.statements = [];
    await storage.claimDue(new Date(Date.now() - 365 * 86_400_000), 10, 'plan-claimer', 60_000);
    const claim = logger.statements.find((sql) => /FOR UPDATE SKIP LOCKED/.test(sql))!;
    expect(claim).toBeDefined();
    const plan: Array<{ table: string | null; key: string | null; Extra: string | null }> = await dataSource.query(
      `EXPLAIN ${claim}`,
      [0, 0, 10, 0, 0, 10, 10],
    );
    const scans = plan.filter((row) => row.table === 'quickbooks_connections');
    expect(scans).toHaveLength(2);
    for (const scan of scans) {
      expect(scan.key).toBe('idx_quickbooks_connections_due');
      // Only the merge of the two limited ranges (at most 2 x limit rows) may be sorted.
      expect(scan.Extra ?? '').not.toMatch(/filesort/);
    }
  });

  it('a missing table yields a StorageError that says to run the migrations', async () => {
    await dataSource.query('RENAME TABLE quickbooks_connections TO quickbooks_connections_away');
    try {
      const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
      await expect(storage.get({ tenantId: 't', realmId: 'r' })).rejects.toThrow(
        /\[ER_NO_SUCH_TABLE\].*run the QuickBooks auth migrations/,
      );
    } finally {
      await dataSource.query('RENAME TABLE quickbooks_connections_away TO quickbooks_connections');
    }
  });
});
