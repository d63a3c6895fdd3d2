import { ConnectionNotFoundError, DISCONNECT_LANDING_COOLDOWN_MS, type RevokedEvent } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore } from '../support/scratch-stores';
import { TEST_CLIENT } from '../support/test-keys';
import { seedConnections } from '../scheduler/support/seed-connections';

/**
 * Disconnects started inside QuickBooks (Intuit's Disconnect URL) against the emulator over HTTP,
 * on MariaDB: the landing trusts nothing in the request. Only a refresh Intuit answers with
 * invalid_grant marks a connection revoked; a healthy connection is refreshed and kept (the
 * landing cannot disconnect anyone); unknown and malformed realms cost nothing; a company is
 * verified at most once a minute per process (no token-call amplification). The revoke is fenced on
 * the refused token: a reconnect stored after Intuit's answer is kept.
 */
describe('ConnectService.handleDisconnectLanding (emulator, MariaDB)', () => {
  let h: Harness;
  let drop: () => Promise<void>;
  const revoked: RevokedEvent[] = [];
  const refreshCalls = () => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0;
  /** Each case uses fresh realms; the cooldown is per realm, so cases do not see each other's turns. */
  async function connect(tenants: string[], realmId?: string): Promise<Array<{ tenantId: string; realmId: string }>> {
    const refs: Array<{ tenantId: string; realmId: string }> = [];
    let realm = realmId;
    for (const tenantId of tenants) {
      const minted = h.emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 1, ...(realm ? { realmId: realm } : {}) });
      realm = minted[0].realmId;
      refs.push(...(await seedConnections(h.storage, minted, { tenantId, now: h.emulator.state.clock.now() })));
    }
    return refs;
  }

  beforeAll(async () => {
    const store = await openScratchStore('mariadb', 'qb_landing');
    drop = store.cleanup;
    h = await startHarness({ storage: store.storage });
    h.app.get(AuthEventsPublisher).subscribe((name, payload) => {
      if (name === 'quickbooks.revoked') revoked.push(payload as RevokedEvent);
    });
  });
  afterAll(async () => {
    await h?.close();
    await drop?.();
  });
  beforeEach(() => {
    revoked.length = 0;
    h.emulator.state.faults.clear();
  });

  it('a customer who disconnected in QuickBooks: every tenant connected to that company is verified and marked revoked', async () => {
    const [a, b] = await connect(['tenant-land-a', 'tenant-land-b']);
    const other = (await connect(['tenant-land-a']))[0];
    h.emulator.state.revokeRealm(a.realmId); // QBO "Disconnect"
    const result = await h.connect.handleDisconnectLanding({ realmId: a.realmId });
    expect(result).toEqual({
      skipped: false,
      connections: [
        { ...a, outcome: 'revoked' },
        { ...b, outcome: 'revoked' },
      ],
    });
    for (const ref of [a, b]) {
      expect((await h.storage.get(ref))!).toMatchObject({ status: 'revoked', accessToken: '', refreshToken: '' });
      await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    }
    expect(revoked).toEqual([
      expect.objectContaining({ ...a, initiatedBy: 'quickbooks', revokedAtIntuit: false }),
      expect.objectContaining({ ...b, initiatedBy: 'quickbooks', revokedAtIntuit: false }),
    ]);
    // Another company of the same tenant is untouched.
    expect((await h.storage.get(other))!.status).toBe('active');
    expect(h.logs.text()).toContain('disconnected in QuickBooks by the customer');
  });

  it('cannot disconnect a healthy connection: Intuit refreshes it, it stays active and keeps serving tokens', async () => {
    const [ref] = await connect(['tenant-land-healthy']);
    const before = refreshCalls();
    const result = await h.connect.handleDisconnectLanding({ realmId: ref.realmId });
    expect(result.connections).toEqual([{ ...ref, outcome: 'still_connected' }]);
    expect(refreshCalls()).toBe(before + 1);
    expect((await h.storage.get(ref))!.status).toBe('active');
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    expect(revoked).toEqual([]);
  });

  it('cannot be used to spend token calls: one verification per company per cooldown, then again after it', async () => {
    const [ref] = await connect(['tenant-land-flood']);
    const before = refreshCalls();
    const results = await Promise.all(Array.from({ length: 20 }, () => h.connect.handleDisconnectLanding({ realmId: ref.realmId })));
    expect(results.filter((r) => !r.skipped)).toHaveLength(1);
    expect(refreshCalls()).toBe(before + 1);
    h.emulator.state.clock.advance(DISCONNECT_LANDING_COOLDOWN_MS / 1000 + 1);
    expect((await h.connect.handleDisconnectLanding({ realmId: ref.realmId })).skipped).toBe(false);
    expect(refreshCalls()).toBe(before + 2);
  });

  it('unknown and malformed realms cost nothing and change nothing', async () => {
    const before = refreshCalls();
    expect(await h.connect.handleDisconnectLanding({ realmId: '9999999999123' })).toEqual({ skipped: false, connections: [] });
    for (const bad of [undefined, '', 'abc', '1'.repeat(40), ['123456789012'], { $ne: null }, "1' OR '1'='1"]) {
      expect(await h.connect.handleDisconnectLanding({ realmId: bad })).toEqual({ skipped: true, connections: [] });
    }
    expect(await h.connect.handleDisconnectLanding(undefined as never)).toEqual({ skipped: true, connections: [] });
    expect(refreshCalls()).toBe(before);
  });

  it('Intuit down: not verified, nothing changed (transient failures never disconnect)', async () => {
    const [ref] = await connect(['tenant-land-down']);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
    const result = await h.connect.handleDisconnectLanding({ realmId: ref.realmId });
    expect(result.connections).toEqual([{ ...ref, outcome: 'not_verified' }]);
    expect((await h.storage.get(ref))!.status).toBe('active');
    expect(revoked).toEqual([]);
  });

  it.each([
    ["refused by the landing's own refresh", false],
    ['already needs_reauth', true],
  ] as const)("a reconnect stored after Intuit's invalid_grant but before the revoke is kept (%s)", async (_label, refusedBefore) => {
    const [ref] = await connect([`tenant-land-race-${refusedBefore ? 'dead' : 'live'}`]);
    const grant = (await h.storage.get(ref))!;
    h.emulator.state.revokeRealm(ref.realmId); // QBO "Disconnect"...
    if (refusedBefore) {
      h.emulator.state.clock.advance(3600);
      await expect(h.tokens.getAccessToken(ref)).rejects.toMatchObject({ code: 'reauthorization_required' });
    }
    // ...and the customer connects again right away: the callback lands after Intuit refused the
    // old token and just before the landing's revoke (written right before the fenced call).
    const markRevoked = h.storage.markRevoked.bind(h.storage);
    const fences: unknown[] = [];
    const spy = jest.spyOn(h.storage, 'markRevoked').mockImplementation(async (target, fence) => {
      fences.push(fence);
      expect((await h.storage.get(target))!).toMatchObject({
        status: 'needs_reauth',
        refreshTokenFingerprint: grant.refreshTokenFingerprint,
      });
      await connectTenant(h, target.tenantId, target.realmId);
      return markRevoked(target, fence);
    });
    try {
      const result = await h.connect.handleDisconnectLanding({ realmId: ref.realmId });
      expect(result.connections).toEqual([{ ...ref, outcome: 'not_verified' }]);
    } finally {
      spy.mockRestore();
    }
    expect(fences).toEqual([{ refusedFingerprint: grant.refreshTokenFingerprint }]);
    const kept = (await h.storage.get(ref))!;
    expect(kept).toMatchObject({ status: 'active' });
    expect(kept.refreshTokenFingerprint).not.toBe(grant.refreshTokenFingerprint);
    // The new grant is live at Intuit and keeps serving; nothing told the host it was revoked.
    await expect(h.tokens.getAccessToken(ref)).resolves.toBe(kept.accessToken);
    h.emulator.state.clock.advance(3600);
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    expect((await h.storage.get(ref))!.status).toBe('active');
    expect(revoked).toEqual([]);
  });

  it('a connection Intuit already refused (needs_reauth) is marked revoked without another call; a revoked one is left alone', async () => {
    const [ref] = await connect(['tenant-land-dead']);
    h.emulator.state.revokeRealm(ref.realmId);
    await expect(h.tokens.getAccessToken(ref)).resolves.toBeDefined(); // still-valid stored token is served
    h.emulator.state.clock.advance(3600);
    await expect(h.tokens.getAccessToken(ref)).rejects.toMatchObject({ code: 'reauthorization_required' });
    const before = refreshCalls();
    expect((await h.connect.handleDisconnectLanding({ realmId: ref.realmId })).connections).toEqual([{ ...ref, outcome: 'revoked' }]);
    expect(refreshCalls()).toBe(before);
    h.emulator.state.clock.advance(DISCONNECT_LANDING_COOLDOWN_MS / 1000 + 1);
    expect((await h.connect.handleDisconnectLanding({ realmId: ref.realmId })).connections).toEqual([
      { ...ref, outcome: 'already_disconnected' },
    ]);
  });
});
