import { ConnectionNotFoundError, QuickBooksUnavailableError } from '@quickbooks-auth/nestjs';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { approveAtEmulator, connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore } from '../support/scratch-stores';

const BACKENDS = [
  { name: 'TypeORM on MariaDB', open: () => openScratchStore('mariadb', 'qb_revoke') },
  { name: 'Redis', open: () => openScratchStore('redis', 'qbrevoke') },
];

/**
 * Grants left at Intuit (issue 14, item 11), real emulator over HTTP and real storage: a
 * disconnect Intuit neither confirms nor calls already dead keeps the connection revoke_pending
 * (never served) and retries until Intuit confirms; a reconnect revokes the grant it replaced
 * once the new one is stored, retrying that too.
 */
describe.each(BACKENDS)('grants left at Intuit ($name)', (backend) => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  let scheduler: RefreshScheduler;

  beforeAll(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    // Reconnect revokes are opt-in (revokeReplacedGrants); these tests cover them switched on.
    h = await startHarness({ storage: opened.storage, options: { revokeReplacedGrants: true } });
    scheduler = h.app.get(RefreshScheduler);
  });
  afterAll(async () => {
    await h?.close();
    await cleanup?.();
  });
  afterEach(() => h.emulator.state.faults.clear());

  const grants = (realmId: string) => (h.emulator.state.store.grantsByRealm.get(realmId) ?? []).map((g) => g.status);
  const revokeCalls = () => h.emulator.state.statsSnapshot().calls.byEndpoint.revoke ?? 0;
  /** Moves both clocks (the app's follows the emulator's) past a retry's due time. */
  const wait = (seconds: number) => h.emulator.state.clock.advance(seconds);

  async function reconnect(tenantId: string, realmId: string): Promise<void> {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId });
    const query = await approveAtEmulator(h, url, realmId);
    expect(query.realmId).toBe(realmId);
    await expect(h.connect.handleCallback({ query, expectedTenantId: tenantId })).resolves.toMatchObject({ reconnected: true });
  }

  it('Intuit refusing the revoke (403) keeps the connection revoke_pending, never served, until a retry is confirmed', async () => {
    const ref = { tenantId: 'tenant-403', realmId: await connectTenant(h, 'tenant-403') };
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 403, body: 'json', count: 1 });
    await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: false, revokePending: true });
    expect((await h.tokens.getConnection(ref)).status).toBe('revoke_pending');
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    expect(grants(ref.realmId)).toEqual(['active']); // the grant is still live at Intuit
    // Not due yet: a tick sends nothing.
    const before = revokeCalls();
    await scheduler.tick();
    expect(revokeCalls()).toBe(before);
    wait(60);
    await scheduler.tick();
    expect(revokeCalls()).toBe(before + 1);
    expect(grants(ref.realmId)).toEqual(['revoked']);
    expect((await h.tokens.getConnection(ref)).status).toBe('revoked');
    await expect(h.connect.disconnect(ref)).rejects.toBeInstanceOf(ConnectionNotFoundError);
  });

  it('a broken client secret (invalid_client) is retried with backoff until it works, never wiped unrevoked', async () => {
    const ref = { tenantId: 'tenant-401', realmId: await connectTenant(h, 'tenant-401') };
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 401, body: 'json' });
    await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: false, revokePending: true });
    const calls = revokeCalls();
    wait(60); // first retry due after 30-33 s
    await scheduler.tick();
    expect(revokeCalls()).toBe(calls + 1);
    wait(45); // the second waits 60-66 s
    await scheduler.tick();
    expect(revokeCalls()).toBe(calls + 1);
    wait(30);
    await scheduler.tick();
    expect(revokeCalls()).toBe(calls + 2);
    expect(grants(ref.realmId)).toEqual(['active']);
    h.emulator.state.faults.clear(); // the operator fixed the credentials
    wait(140);
    await scheduler.tick();
    expect(grants(ref.realmId)).toEqual(['revoked']);
    expect((await h.tokens.getConnection(ref)).status).toBe('revoked');
  });

  it('disconnect again retries a pending revoke at once', async () => {
    const ref = { tenantId: 'tenant-again', realmId: await connectTenant(h, 'tenant-again') };
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 404, body: 'json', count: 1 });
    await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: false, revokePending: true });
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 503, count: 1 });
    await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: false, revokePending: true });
    await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: true });
    expect(grants(ref.realmId)).toEqual(['revoked']);
    expect((await h.tokens.getConnection(ref)).status).toBe('revoked');
  });

  it('"token already invalid" (400) and a transient failure keep their meaning: revoked, and kept active', async () => {
    const dead = { tenantId: 'tenant-400', realmId: await connectTenant(h, 'tenant-400') };
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 400, body: 'json', count: 1 });
    await expect(h.connect.disconnect(dead)).resolves.toEqual({ revokedAtIntuit: false });
    expect((await h.tokens.getConnection(dead)).status).toBe('revoked');
    const flaky = { tenantId: 'tenant-503', realmId: await connectTenant(h, 'tenant-503') };
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 503, count: 1 });
    await expect(h.connect.disconnect(flaky)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    expect((await h.tokens.getConnection(flaky)).status).toBe('active');
  });

  it('a reconnect revokes the grant it replaced once the new one is stored', async () => {
    const tenantId = 'tenant-reconnect';
    const realmId = await connectTenant(h, tenantId);
    expect(grants(realmId)).toEqual(['active']);
    await reconnect(tenantId, realmId);
    expect(grants(realmId)).toEqual(['revoked', 'active']);
    const token = await h.tokens.getAccessToken({ tenantId, realmId });
    const res = await fetch(`${h.emulator.url}/v3/company/${realmId}/companyinfo/${realmId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
  });

  it('a reconnect whose revoke of the old grant fails leaves it to the scheduler', async () => {
    const tenantId = 'tenant-reconnect-flaky';
    const realmId = await connectTenant(h, tenantId);
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 503, count: 1 });
    await reconnect(tenantId, realmId);
    expect(grants(realmId)).toEqual(['active', 'active']);
    expect((await h.tokens.getConnection({ tenantId, realmId })).status).toBe('active');
    await scheduler.tick();
    expect(grants(realmId)).toEqual(['active', 'active']); // not due yet: first retry after 30-33 s
    wait(40);
    await scheduler.tick();
    expect(grants(realmId)).toEqual(['revoked', 'active']);
    await expect(h.tokens.getAccessToken({ tenantId, realmId })).resolves.toEqual(expect.any(String));
  });

  it('reconnecting a revoke_pending connection revokes the disconnected grant right away', async () => {
    const tenantId = 'tenant-pending-reconnect';
    const realmId = await connectTenant(h, tenantId);
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 403, body: 'json', count: 1 });
    await h.connect.disconnect({ tenantId, realmId });
    await reconnect(tenantId, realmId);
    expect(grants(realmId)).toEqual(['revoked', 'active']);
    expect((await h.tokens.getConnection({ tenantId, realmId })).status).toBe('active');
    await expect(h.tokens.getAccessToken({ tenantId, realmId })).resolves.toEqual(expect.any(String));
  });

  it('with revokeReplacedGrants off (the default), a reconnect leaves the replaced grant alone and the new one works', async () => {
    const off = await startHarness({ storage: { type: 'memory' } });
    try {
      const tenantId = 'tenant-reconnect-default';
      const first = await connectTenant(off, tenantId);
      await connectTenant(off, tenantId, first);
      const grantsOff = (off.emulator.state.store.grantsByRealm.get(first) ?? []).map((g) => g.status);
      expect(grantsOff).toEqual(['active', 'active']);
      expect(off.emulator.state.statsSnapshot().calls.byEndpoint.revoke ?? 0).toBe(0);
      await expect(off.tokens.getAccessToken({ tenantId, realmId: first })).resolves.toEqual(expect.any(String));
    } finally {
      await off.close();
    }
  });
});
