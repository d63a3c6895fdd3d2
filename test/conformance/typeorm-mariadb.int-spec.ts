import { DataSource } from 'typeorm';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { ConnectionUndecryptableError, QUICKBOOKS_AUTH_ENTITIES, runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../support/mariadb';
import { cipherFor, createQuickBooksTestingModule, describeTokenStorageConformance, newKeySpec } from '@quickbooks-auth/nestjs/testing';
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

  it("an on-demand refresh on the caller's own read costs 3 statements (read, lease, swap); a basis that moved falls back to the re-read", async () => {
    const storage = new TypeOrmTokenStorage(dataSource, cipherFor(newKeySpec('k1')));
    const ref = { tenantId: 'tenant-on-demand-basis', realmId: '1' };
    const now = Date.now();
    const swapResult = (n: number) => ({
      accessToken: `AT-b${n}`,
      refreshToken: `RT-b${n}`,
      accessTokenExpiresAt: new Date(now + 7200_000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      nextRefreshAt: new Date(now + 3000_000),
    });
    await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      accessToken: 'AT-b0',
      refreshToken: 'RT-b0',
      accessTokenExpiresAt: new Date(now - 1000),
      refreshTokenExpiresAt: new Date(now + 86400_000),
      refreshTokenHardExpiresAt: null,
      scopes: [],
      nextRefreshAt: new Date(now + 3000_000),
    });
    logger.statements = [];
    const read = (await storage.getForAccess(ref))!;
    const leased = (await storage.acquireLease(ref, 'on-demand#1', 60_000, { beginCalls: true, basis: read }))!;
    expect(leased).toMatchObject({ refreshToken: 'RT-b0', leaseOwner: 'on-demand#1', inflight: { owner: 'on-demand#1' } });
    const lease = { owner: 'on-demand#1', generation: leased.leaseGeneration };
    const swapped = await storage.compareAndSwapTokens(ref, leased.refreshTokenFingerprint, swapResult(1), lease, leased);
    expect(logger.statements.map(kindOf)).toEqual(['SELECT', 'UPDATE', 'UPDATE']);
    const stored = (await storage.get(ref))!;
    expect(swapped).toMatchObject({ refreshToken: 'RT-b1', version: stored.version, leaseOwner: null, inflight: null });

    // Another writer between the read and the lease: the lease on the basis's version finds
    // nothing, the plain acquisition and its re-read follow, and the newer row is what is handed back.
    const stale = (await storage.getForAccess(ref))!;
    const other = (await storage.acquireLease(ref, 'other', 60_000))!;
    await storage.compareAndSwapTokens(
      ref,
      other.refreshTokenFingerprint,
      swapResult(2),
      { owner: 'other', generation: other.leaseGeneration },
      other,
    );
    logger.statements = [];
    const fallback = (await storage.acquireLease(ref, 'on-demand#2', 60_000, { beginCalls: true, basis: stale }))!;
    expect(logger.statements.map(kindOf)).toEqual(['UPDATE', 'UPDATE', 'SELECT']);
    expect(fallback).toEqual(await storage.get(ref));
    expect(fallback).toMatchObject({ refreshToken: 'RT-b2', leaseOwner: 'on-demand#2', leaseGeneration: other.leaseGeneration + 1 });
    // The stale read's token is superseded: a swap fenced on it is refused (I3).
    await expect(
      storage.compareAndSwapTokens(
        ref,
        stale.refreshTokenFingerprint,
        swapResult(3),
        { owner: 'on-demand#2', generation: fallback.leaseGeneration },
        fallback,
      ),
    ).resolves.toBeNull();
  });

  /** The module on this data source with no cache and no use records: only the on-demand path's own statements. */
  const onDemandModule = () =>
    createQuickBooksTestingModule({
      storage: { type: 'typeorm', dataSource },
      options: { accessTokenCacheSeconds: 0, scheduler: { enabled: false, proactive: 'all' } },
      connectTenant: false,
    });

  it('getAccessToken on an expired token costs 3 statements end to end: the read, the lease that begins the call, the swap', async () => {
    const h = await onDemandModule();
    try {
      const ref = await h.connectRealm('tenant-on-demand-e2e');
      const first = await h.tokens.getAccessToken(ref);
      h.emulator.state.clock.advance(2 * 3600); // the access token has expired
      logger.statements = [];
      const refreshed = await h.tokens.getAccessTokenDetails(ref);
      expect(logger.statements.map(kindOf)).toEqual(['SELECT', 'UPDATE', 'UPDATE']);
      expect(refreshed.accessToken).not.toBe(first);
      expect(refreshed.expiresAt.getTime()).toBeGreaterThan(h.emulator.state.clock.now());
      expect((await h.storage.get(ref))!).toMatchObject({ accessToken: refreshed.accessToken, leaseOwner: null, inflight: null });
    } finally {
      await h.close();
    }
  });

  it('getAccessToken on an expired token whose refresh token was tampered with: ConnectionUndecryptableError, nothing sent to Intuit', async () => {
    const h = await onDemandModule();
    try {
      const ref = await h.connectRealm('tenant-on-demand-tampered');
      const stored = (await h.storage.get(ref))!;
      // One character of the sealed refresh token flipped behind the storage's back.
      await dataSource.query(
        `UPDATE quickbooks_connections SET refresh_token_enc = CONCAT(LEFT(refresh_token_enc, 40), IF(SUBSTRING(refresh_token_enc, 41, 1) = 'A', 'B', 'A'), SUBSTRING(refresh_token_enc, 42)) WHERE tenant_id = ? AND realm_id = ?`,
        [ref.tenantId, ref.realmId],
      );
      h.emulator.state.clock.advance(2 * 3600);
      const refreshCalls = () => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token;
      const before = refreshCalls();
      const err = await h.tokens.getAccessToken(ref).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionUndecryptableError);
      const message = `${(err as Error).message} ${(err as Error).stack}`;
      for (const secret of [stored.accessToken, stored.refreshToken]) expect(message).not.toContain(secret);
      expect(refreshCalls()).toBe(before);
    } finally {
      await h.close();
    }
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

/** A statement's first keyword (SELECT, UPDATE...). */
function kindOf(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '?';
}
