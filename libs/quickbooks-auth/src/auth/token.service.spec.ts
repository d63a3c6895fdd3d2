import { ConnectionNotFoundError } from '../errors/connection-not-found.error';
import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { connectTenant, startHarness, type Harness } from '../../../../test/support/quickbooks-harness';

/**
 * TokenService's own decisions, on the real module (memory storage, real cipher) against the
 * emulator in-process over HTTP: serve from the cache, refresh under the minimum validity, one
 * refresh for a stampede, a tenant sees only its own connections, a transient failure never
 * marks a connection dead.
 */
describe('TokenService', () => {
  let h: Harness;
  let refreshesBefore = 0;
  /** Refresh-token grants Intuit received during this test. */
  const refreshCalls = () => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token - refreshesBefore;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { minValiditySeconds: 300 } });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    refreshesBefore = h.emulator.state.statsSnapshot().calls.byGrant.refresh_token;
  });
  afterEach(() => h.emulator.state.faults.clear());

  it('serves a valid token again without calling Intuit (cache hit)', async () => {
    const realmId = await connectTenant(h, 'tenant-a');
    const first = await h.tokens.getAccessTokenDetails({ tenantId: 'tenant-a', realmId });
    const second = await h.tokens.getAccessTokenDetails({ tenantId: 'tenant-a', realmId });
    expect(second).toEqual(first);
    expect(first.realmId).toBe(realmId);
    expect(first.expiresAt.getTime()).toBeGreaterThan(h.emulator.state.clock.now() + 300_000);
    expect(refreshCalls()).toBe(0);
  });

  it('refreshes once the stored token has less than minValiditySeconds left, and stores the result first', async () => {
    const ref = { tenantId: 'tenant-a', realmId: await connectTenant(h, 'tenant-a') };
    const before = await h.tokens.getAccessToken(ref);
    h.emulator.state.clock.advance(3600 - 200); // 200 s left: under the 300 s minimum
    const after = await h.tokens.getAccessTokenDetails(ref);
    expect(after.accessToken).not.toBe(before);
    expect(after.expiresAt.getTime() - h.emulator.state.clock.now()).toBeGreaterThan(300_000);
    expect(refreshCalls()).toBe(1);
    expect((await h.storage.get(ref))!.accessToken).toBe(after.accessToken);
  });

  it('joins concurrent callers of one due connection to a single refresh', async () => {
    const ref = { tenantId: 'tenant-a', realmId: await connectTenant(h, 'tenant-a') };
    h.emulator.state.clock.advance(3600);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => h.tokens.getAccessToken(ref)));
    expect(new Set(tokens).size).toBe(1);
    expect(refreshCalls()).toBe(1);
    expect(h.emulator.state.statsSnapshot().concurrentRefreshesMaxPerToken).toBe(1);
  });

  it('shares one storage read among a stampede of cache misses, and gives each details caller its own object', async () => {
    const ref = { tenantId: 'tenant-a', realmId: await connectTenant(h, 'tenant-a') };
    h.emulator.state.clock.advance(3600);
    const read = jest.spyOn(h.storage, 'getForAccess');
    try {
      const [tokens, details] = await Promise.all([
        Promise.all(Array.from({ length: 1000 }, () => h.tokens.getAccessToken(ref))),
        Promise.all(Array.from({ length: 3 }, () => h.tokens.getAccessTokenDetails(ref))),
      ]);
      expect(new Set(tokens).size).toBe(1);
      expect(details.map((d) => d.accessToken)).toEqual([tokens[0], tokens[0], tokens[0]]);
      expect(details[0]).not.toBe(details[1]);
      expect(details[0].expiresAt).not.toBe(details[1].expiresAt);
      expect(read).toHaveBeenCalledTimes(1);
      expect(refreshCalls()).toBe(1);
    } finally {
      read.mockRestore();
    }
  });

  it("while another process's lease stands, polls with one read each and takes the lease only once it is gone", async () => {
    const ref = { tenantId: 'tenant-a', realmId: await connectTenant(h, 'tenant-a') };
    h.emulator.state.clock.advance(3600);
    const held = (await h.storage.acquireLease(ref, 'other-replica', 60_000))!;
    const lease = jest.spyOn(h.storage, 'acquireLease');
    const reads = jest.spyOn(h.storage, 'get');
    try {
      const token = h.tokens.getAccessToken(ref);
      await new Promise((r) => setTimeout(r, 300));
      expect(lease).toHaveBeenCalledTimes(1); // the first try, refused: then reads only
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(4);
      await h.storage.releaseLease(ref, { owner: 'other-replica', generation: held.leaseGeneration }); // gone without refreshing
      await expect(token).resolves.toEqual(expect.any(String));
      expect(lease).toHaveBeenCalledTimes(2);
      expect(refreshCalls()).toBe(1);
    } finally {
      lease.mockRestore();
      reads.mockRestore();
    }
  });

  it('refuses a malformed ref as a rejection, not a synchronous throw', async () => {
    const call = h.tokens.getAccessToken({ tenantId: 'tenant-a', realmId: '../1' });
    await expect(call).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });

  it("never serves another tenant's connection (I7)", async () => {
    const realmId = await connectTenant(h, 'tenant-own');
    await expect(h.tokens.getAccessToken({ tenantId: 'tenant-b', realmId })).rejects.toBeInstanceOf(ConnectionNotFoundError);
    await expect(h.tokens.getConnection({ tenantId: 'tenant-b', realmId })).rejects.toBeInstanceOf(ConnectionNotFoundError);
    expect(await h.tokens.listConnections('tenant-b')).toEqual([]);
    expect((await h.tokens.listConnections('tenant-own')).map((c) => c.realmId)).toEqual([realmId]);
  });

  it('an expired token and an Intuit outage: unavailable, and the connection stays active', async () => {
    const ref = { tenantId: 'tenant-a', realmId: await connectTenant(h, 'tenant-a') };
    h.emulator.state.clock.advance(3700);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    expect((await h.tokens.getConnection(ref)).status).toBe('active');
    h.emulator.state.faults.clear();
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
  });
});
