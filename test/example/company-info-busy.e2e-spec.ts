import { QUICKBOOKS_TOKEN_STORAGE, type ConnectionRef, type TokenStorage } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../support/mariadb';
import { KEY_A, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

/** What the lease of a replica that died mid-refresh looks like (the app's own lease length). */
const LEASE_TTL_MS = 4000;
const CALL_BUDGET_MS = 2400;

/**
 * company-info after a restart while a dead replica's lease still blocks refreshes (the
 * rolling-deploy finding: the example answered 502 quickbooks_token_rejected, "rejected a freshly
 * refreshed token", although nothing had been refreshed). The lease is the real thing: taken in
 * the shared MariaDB through the library's storage by an owner that never comes back, with the
 * in-flight record a replica killed mid-call leaves. The app is the example in-process, with a
 * short lease wait so callers give up in a second instead of 30.
 */
describe('example app: company-info while a dead replica’s lease blocks refreshes (MariaDB)', () => {
  const data = tempDataDir();
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let h: ExampleAppHandle;
  let storage: TokenStorage;
  /** The app's clock runs this far ahead of the wall clock (the emulator's is moved separately). */
  let appClockAheadMs = 0;
  const realms: string[] = [];

  const ref = (realmId: string): ConnectionRef => ({ tenantId: 'tenant-a', realmId });
  const refreshCalls = (realmId: string) => h.emulator.state.realmSummary(realmId)!.calls.refresh_token;
  const qboCalls = () => h.emulator.state.statsSnapshot().calls.byEndpoint.companyinfo ?? 0;

  async function companyInfo(
    realmId: string,
  ): Promise<{ status: number; retryAfter: string | null; error: string | undefined; company: string | undefined }> {
    const res = await fetch(`${h.baseUrl}/quickbooks/connections/${realmId}/company-info`, {
      headers: { 'x-api-key': KEY_A, accept: 'application/json' },
    });
    const body = (await res.json()) as { error?: string; companyInfo?: { CompanyName?: string } };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body.error, company: body.companyInfo?.CompanyName };
  }

  async function connect(): Promise<string> {
    const started = await fetch(`${h.baseUrl}/quickbooks/connect`, { headers: { 'x-api-key': KEY_A }, redirect: 'manual' });
    h.emulator.state.setAutoApprove(true);
    const consent = await fetch(started.headers.get('location')!, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    const done = await fetch(`${h.baseUrl}${callback.pathname}${callback.search}`, {
      headers: { 'x-api-key': KEY_A, accept: 'application/json' },
    });
    expect(done.status).toBe(200);
    return ((await done.json()) as { connection: { realmId: string } }).connection.realmId;
  }

  /** A replica took the lease, recorded its token call, and died: nobody will release or renew it. */
  async function leaseHeldByDeadReplica(realmId: string): Promise<Date> {
    const owner = 'replica-that-died:4242:0badc0#7';
    const conn = await storage.acquireLease(ref(realmId), owner, LEASE_TTL_MS);
    expect(conn).not.toBeNull();
    const began = await storage.beginCall(
      ref(realmId),
      { owner, generation: conn!.leaseGeneration },
      { fingerprint: conn!.refreshTokenFingerprint, callBudgetMs: CALL_BUDGET_MS, ttlMs: LEASE_TTL_MS },
    );
    expect(began).toBe(true);
    return (await storage.get(ref(realmId)))!.leaseExpiresAt!;
  }

  beforeAll(async () => {
    db = await createScratchDatabase('qb_busy');
    h = await startExampleApp({
      dataDir: data.dir,
      env: { QB_STORAGE: 'typeorm', DATABASE_URL: db.url },
      configure: (runtime) => {
        Object.assign(runtime.quickBooksOptions!, {
          leaseTtlMs: LEASE_TTL_MS,
          leaseWaitTimeoutMs: 1000,
          http: { connectTimeoutMs: 1000, socketTimeoutMs: CALL_BUDGET_MS - 1000 },
          scheduler: { enabled: false },
          clock: { now: () => Date.now() + appClockAheadMs },
        });
      },
    });
    storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
    for (let i = 0; i < 3; i++) realms.push(await connect());
  });

  afterAll(async () => {
    await h?.close();
    await db?.drop();
    data.remove();
  });

  it('keeps 502 quickbooks_token_rejected for its real meaning: QBO also rejects the token refreshed after its 401', async () => {
    const realm = realms[2]; // before any clock moves: the stored token is good in both views
    h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 401, body: 'json', count: 2 });
    const answer = await companyInfo(realm);
    expect({ status: answer.status, error: answer.error }).toEqual({ status: 502, error: 'quickbooks_token_rejected' });
    expect(refreshCalls(realm)).toBe(1);
  });

  it('QBO rejects the token, the dead lease blocks the refresh: 503 with Retry-After, not 502 "rejected a freshly refreshed token"', async () => {
    const realm = realms[0];
    const before = (await storage.get(ref(realm)))!;
    await leaseHeldByDeadReplica(realm);
    h.emulator.state.clock.advance(2 * 3600); // QBO: the access token expired; the app's clock does not know yet
    const qbo = qboCalls();
    const leaseEnds = (await storage.get(ref(realm)))!.leaseExpiresAt!.getTime();
    const answer = await companyInfo(realm);
    expect({ status: answer.status, error: answer.error, company: answer.company }).toEqual({
      status: 503,
      error: 'quickbooks_unavailable',
      company: undefined,
    });
    // Retry once the dead lease can have ended (the library's hint: the lease time left).
    const seconds = Number(answer.retryAfter);
    expect(Number.isInteger(seconds) && seconds >= 1).toBe(true);
    expect(seconds).toBeLessThanOrEqual(Math.ceil((leaseEnds - Date.now()) / 1000) + 1);
    // Nothing was refreshed or sent: the lease was respected, the rejected token not offered to QBO again.
    expect(refreshCalls(realm)).toBe(0);
    expect(qboCalls() - qbo).toBe(1);
    const after = (await storage.get(ref(realm)))!;
    expect({
      status: after.status,
      sameToken: after.refreshTokenFingerprint === before.refreshTokenFingerprint,
      owner: after.leaseOwner,
    }).toEqual({
      status: 'active',
      sameToken: true,
      owner: 'replica-that-died:4242:0badc0#7',
    });
  });

  it('the stored token has expired too ("timed out waiting for another refresh"): 503 with Retry-After from the lease left', async () => {
    const realm = realms[1];
    const leaseEnds = await leaseHeldByDeadReplica(realm);
    appClockAheadMs = 2 * 3600_000; // now the app also sees its stored access token expired
    const answer = await companyInfo(realm);
    expect({ status: answer.status, error: answer.error }).toEqual({ status: 503, error: 'quickbooks_unavailable' });
    const seconds = Number(answer.retryAfter);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(Math.ceil((leaseEnds.getTime() - Date.now()) / 1000) + 1);
    expect(refreshCalls(realm)).toBe(0);
  });

  it('once the dead lease has expired, the next holder waits out its recorded call, refreshes, and company-info works: 0 superseded uses', async () => {
    // The lease and the recorded call end at known times: waiting for them is the test.
    const ends = await Promise.all(realms.slice(0, 2).map(async (r) => (await storage.get(ref(r)))!.leaseExpiresAt!.getTime()));
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...ends) - Date.now() + 50)));
    for (const realm of realms.slice(0, 2)) {
      const answer = await companyInfo(realm);
      expect({ realm, status: answer.status, company: answer.company }).toEqual({
        realm,
        status: 200,
        company: `Emulated Company ${realm}`,
      });
      const summary = h.emulator.state.realmSummary(realm)!;
      expect({ refreshes: summary.calls.refresh_token, supersededUses: summary.supersededUses }).toEqual({
        refreshes: 1,
        supersededUses: 0,
      });
      const row = (await storage.get(ref(realm)))!;
      expect({ status: row.status, owner: row.leaseOwner, inflight: row.inflight }).toEqual({
        status: 'active',
        owner: null,
        inflight: null,
      });
    }
  });
});
