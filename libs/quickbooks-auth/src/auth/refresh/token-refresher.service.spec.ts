import { RefreshShutdownError } from '../../errors/refresh-shutdown.error';
import { QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { TokenStorage } from '../storage/token-storage.interface';
import { TokenRefresher } from './token-refresher.service';
import { connectTenant, startHarness, type Harness } from '../../../../../test/support/quickbooks-harness';

/**
 * TokenRefresher's outcomes for one refresh, on the real module (memory storage) against the
 * emulator over HTTP: refreshed, fresh under the lease, busy while another owner holds it,
 * transient (connection intact) vs invalid_grant (needs_reauth, I4), unavailable, and no new
 * refresh once shutdown began.
 */
describe('TokenRefresher', () => {
  let h: Harness;
  let refresher: TokenRefresher;
  let storage: TokenStorage;
  let seq = 0;
  const always = { trigger: 'on_demand' as const, isFresh: () => false };
  const connect = async () => {
    const tenantId = `tenant-r${++seq}`;
    return { tenantId, realmId: await connectTenant(h, tenantId) };
  };

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
    refresher = h.app.get(TokenRefresher);
    storage = h.app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
  });
  afterAll(() => h.close());
  afterEach(() => h.emulator.state.faults.clear());

  it('refreshed: new tokens stored, the lease released', async () => {
    const ref = await connect();
    const before = (await storage.get(ref))!;
    const outcome = await refresher.refresh(ref, always);
    expect(outcome.kind).toBe('refreshed');
    const after = (await storage.get(ref))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after).toMatchObject({ status: 'active', leaseOwner: null, inflight: null });
    expect(outcome.kind === 'refreshed' && outcome.connection.accessToken).toBe(after.accessToken);
  });

  it('fresh: under the lease the stored token is good enough, so Intuit is not called', async () => {
    const ref = await connect();
    const calls = h.emulator.state.statsSnapshot().calls.byGrant.refresh_token;
    const outcome = await refresher.refresh(ref, { trigger: 'on_demand', isFresh: () => true });
    expect(outcome.kind).toBe('fresh');
    expect(h.emulator.state.statsSnapshot().calls.byGrant.refresh_token).toBe(calls);
  });

  it("busy: another owner holds an unexpired lease (fencing), nothing sent; the holder's row comes with it", async () => {
    const ref = await connect();
    const leased = (await storage.acquireLease(ref, 'other-replica', 60_000))!;
    expect(await refresher.refresh(ref, always)).toEqual({
      kind: 'busy',
      connection: expect.objectContaining({ leaseOwner: 'other-replica', leaseGeneration: leased.leaseGeneration }),
    });
    expect((await storage.get(ref))!).toMatchObject({ leaseOwner: 'other-replica', leaseGeneration: leased.leaseGeneration });
  });

  it('transient: an Intuit 503 leaves the connection active with its token', async () => {
    const ref = await connect();
    const before = (await storage.get(ref))!;
    h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
    const outcome = await refresher.refresh(ref, always);
    expect(outcome.kind).toBe('transient');
    expect(outcome.kind === 'transient' && outcome.retryAfterMs).toBeGreaterThan(0);
    expect((await storage.get(ref))!).toMatchObject({ status: 'active', refreshTokenFingerprint: before.refreshTokenFingerprint });
  });

  it('invalid_grant: the connection needs reauthorization (I4), and later refreshes find it unavailable', async () => {
    const ref = await connect();
    h.emulator.state.revokeRealm(ref.realmId);
    const outcome = await refresher.refresh(ref, always);
    expect(outcome.kind).toBe('reauth_required');
    expect((await storage.get(ref))!.status).toBe('needs_reauth');
    expect(await refresher.refresh(ref, always)).toMatchObject({ kind: 'unavailable' });
  });

  it('unavailable: no such connection', async () => {
    expect(await refresher.refresh({ tenantId: 'tenant-none', realmId: '123456' }, always)).toEqual({
      kind: 'unavailable',
      connection: null,
    });
  });
});

describe('TokenRefresher after shutdown began', () => {
  it('starts no new refresh', async () => {
    const h = await startHarness({ storage: { type: 'memory' } });
    try {
      const ref = { tenantId: 'tenant-s', realmId: await connectTenant(h, 'tenant-s') };
      const refresher = h.app.get(TokenRefresher);
      refresher.beginShutdown();
      await expect(refresher.refresh(ref, { trigger: 'on_demand', isFresh: () => false })).rejects.toBeInstanceOf(RefreshShutdownError);
    } finally {
      await h.close();
    }
  });
});
