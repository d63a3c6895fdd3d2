import { QuickBooksUnavailableError, ReauthorizationRequiredError, StorageError, type ReauthRequiredEvent } from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
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

  it("an earlier holder's unresolved call survives a definite failure in between: the next invalid_grant is parked, not a reauth", async () => {
    const realmId = await connectTenant(h, 'tenant-evidence');
    const ref = { tenantId: 'tenant-evidence', realmId };
    h.emulator.state.clock.advance(25 * HOUR); // the next refresh rotates
    // Replica A records its call, Intuit rotates, and A stops before its compare-and-swap.
    const a = (await h.storage.acquireLease(ref, 'replica-a#1', 60_000))!;
    const leaseA = { owner: 'replica-a#1', generation: a.leaseGeneration };
    expect(await h.storage.beginCall(ref, leaseA, { fingerprint: a.refreshTokenFingerprint, callBudgetMs: 300, ttlMs: 60_000 })).toBe(true);
    const answered = h.emulator.state.tokens.refresh(h.options.clientId, a.refreshToken, false);
    expect(answered.ok).toBe(true);
    await h.storage.renewLease(ref, leaseA, 100);
    await new Promise((r) => setTimeout(r, 400));
    // Replica B takes over and is told 429: nothing rotated, but A's call is still unresolved.
    h.emulator.state.faults.add({ endpoint: 'token', type: 'rate_limit', retryAfter: 1, grantType: 'refresh_token', count: 1 });
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    expect(await h.storage.get(ref)).toMatchObject({ status: 'active', lastErrorCode: 'earlier_call_unresolved', inflight: null });
    // Later, C sends the same (superseded) token: refused, and parked rather than reported.
    h.emulator.state.clock.advance(120);
    await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
    expect(await h.storage.get(ref)).toMatchObject({ status: 'reauth_pending', lastErrorCode: 'rotation_response_lost' });
    expect(reauth).toEqual([]);
  });

  it('a store that cannot record the call sends nothing and records nothing; the next attempt refreshes', async () => {
    const realmId = await connectTenant(h, 'tenant-begin-down');
    const ref = { tenantId: 'tenant-begin-down', realmId };
    h.emulator.state.clock.advance(2 * HOUR);
    const refusals: string[] = [];
    h.app.get(AuthEventsPublisher).listen((s) => {
      if (s.kind === 'refresh_protocol' && s.signal.kind === 'send_refused' && s.signal.ref.realmId === realmId)
        refusals.push(s.signal.reason);
    });
    const realBegin = h.storage.beginCall.bind(h.storage);
    let failing = true;
    h.storage.beginCall = async (...args) => {
      if (failing) {
        failing = false;
        throw new StorageError('connection refused', 'storage_unavailable');
      }
      return realBegin(...args);
    };
    try {
      await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
    } finally {
      h.storage.beginCall = realBegin;
    }
    expect(refusals).toEqual(['store_unavailable']);
    expect(grantOf(realmId).refreshes).toBe(1);
    expect(await h.tokens.getConnection(ref)).toMatchObject({ status: 'active', failureCount: 0, lastErrorCode: null });
  });
});
