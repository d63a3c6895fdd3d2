import { AuthEventsPublisher, QuickBooksUnavailableError, ReauthorizationRequiredError, type ReauthRequiredEvent } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;

/**
 * Lost answers (I9, docs/reliability.md step 8): a token call whose answer never arrived is in
 * doubt. The refresher tries the same refresh token once more at once; a refusal then is an
 * Intuit-side loss, reported as rotation_response_lost, never as a customer revoking access.
 */
describe('lost token-call answers', () => {
  let h: Harness;
  const reauth: ReauthRequiredEvent[] = [];

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' }, options: { accessTokenCacheSeconds: 0 } });
    h.app.get(AuthEventsPublisher).subscribe((name, payload) => {
      if (name === 'quickbooks.reauth_required') reauth.push(payload as ReauthRequiredEvent);
    });
  });
  afterAll(async () => h?.close());
  afterEach(() => {
    h.emulator.state.faults.clear();
    h.emulator.state.updateConfig({ refreshGraceSeconds: 0 });
    reauth.length = 0;
  });

  const grantOf = (realmId: string) => h.emulator.state.store.latestGrantForRealm(realmId)!;

  it('a rotation whose answer was dropped, under strict rotation: needs_reauth with reason rotation_response_lost', async () => {
    const realmId = await connectTenant(h, 'tenant-dropped');
    const ref = { tenantId: 'tenant-dropped', realmId };
    h.emulator.state.clock.advance(25 * HOUR); // the next refresh rotates
    h.emulator.state.faults.add({ endpoint: 'token', type: 'drop_after_rotate', grantType: 'refresh_token', count: 1 });
    const err = await h.tokens.getAccessToken(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect((err as ReauthorizationRequiredError).reason).toBe('rotation_response_lost');
    const grant = grantOf(realmId);
    // One rotation (answer lost), then exactly one same-token retry: the only superseded use, and an unavoidable one (U1).
    expect(grant.rotations).toBe(1);
    expect(grant.supersededUses).toBe(1);
    expect(await h.tokens.getConnection(ref)).toMatchObject({ status: 'needs_reauth', lastErrorCode: 'rotation_response_lost' });
    expect(reauth.map((e) => e.reason)).toEqual(['rotation_response_lost']);
  });

  it('the same loss with an Intuit grace period: the same-token retry gets the rotation back and nothing is lost', async () => {
    h.emulator.state.updateConfig({ refreshGraceSeconds: 60 });
    const realmId = await connectTenant(h, 'tenant-grace');
    const ref = { tenantId: 'tenant-grace', realmId };
    h.emulator.state.clock.advance(25 * HOUR);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'drop_after_rotate', grantType: 'refresh_token', count: 1 });
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    const stored = (await h.storage.get(ref))!;
    expect(stored).toMatchObject({ status: 'active', inflight: null, leaseOwner: null });
    expect(stored.refreshToken).toBe(grantOf(realmId).current.value);
    expect(reauth).toEqual([]);
  });

  it('a reset before Intuit answered: the same-token retry succeeds at once, no failure recorded', async () => {
    const realmId = await connectTenant(h, 'tenant-reset');
    const ref = { tenantId: 'tenant-reset', realmId };
    h.emulator.state.clock.advance(2 * HOUR);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'reset', grantType: 'refresh_token', count: 1 });
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    expect(await h.tokens.getConnection(ref)).toMatchObject({ status: 'active', failureCount: 0 });
    expect(grantOf(realmId).supersededUses).toBe(0);
  });

  it('still in doubt after the retry: a transient failure, status untouched; a later refusal is attributed to the lost answer', async () => {
    const realmId = await connectTenant(h, 'tenant-doubt');
    const ref = { tenantId: 'tenant-doubt', realmId };
    h.emulator.state.clock.advance(25 * HOUR);
    // The rotation's answer is dropped; then the same-token retry is reset before Intuit sees it
    // (the reset is armed when that retry begins its call).
    h.emulator.state.faults.add({ endpoint: 'token', type: 'drop_after_rotate', grantType: 'refresh_token', count: 1 });
    const realBegin = h.storage.beginCall.bind(h.storage);
    let begins = 0;
    h.storage.beginCall = async (...args) => {
      if (++begins === 2) h.emulator.state.faults.add({ endpoint: 'token', type: 'reset', grantType: 'refresh_token', count: 1 });
      return realBegin(...args);
    };
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    const after = await h.tokens.getConnection(ref);
    expect(after.status).toBe('active');
    expect(['network_in_doubt', 'bad_response', 'server_error']).toContain(after.lastErrorCode);
    h.storage.beginCall = realBegin;
    expect(begins).toBe(2);
    // Backoff over: the next attempt sends the stored (superseded) token and is refused.
    h.emulator.state.clock.advance(120);
    const err = await h.tokens.getAccessToken(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect((err as ReauthorizationRequiredError).reason).toBe('rotation_response_lost');
  });
});
