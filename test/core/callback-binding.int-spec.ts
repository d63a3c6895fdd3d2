import { CallbackVerificationError, InvalidCallbackError, QuickBooksUnavailableError } from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { findLeaks } from '../support/log-capture';
import { approveAtEmulator, connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';

/**
 * The callback's code and realmId are attacker-controlled; the state only proves whose browser
 * came back. Intuit's id_token binds the code to one authorize request (nonce) and one company
 * (realmid): a code redeemed with someone else's state, a rewritten realmId, or an id_token that
 * does not verify is refused before anything is stored, and the tokens Intuit just issued are
 * revoked there. Real emulator over HTTP, real (memory) storage.
 */
describe('callback bound to the code: id_token nonce and realm', () => {
  let h: Harness;
  let emulator: RunningEmulator;
  /** How far the app's clock is ahead of Intuit's (the emulator's). */
  let appAheadMs = 0;

  beforeAll(async () => {
    // Codes live an hour here: the clock tests move Intuit's clock past the usual 10 minutes.
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }], authCodeTtlSeconds: 3600 });
    h = await startHarness({
      storage: { type: 'memory' },
      emulator,
      options: { clock: { now: () => emulator.state.clock.now() + appAheadMs } },
    });
    h.logs.tapProcessOutput();
  });
  afterAll(async () => {
    h?.logs.stop();
    await h?.close();
    await emulator?.close();
  });
  afterEach(() => h.emulator.state.faults.clear());

  /** Starts a connect for `tenantId` and has the emulator approve it; the callback query is not used yet. */
  async function consent(tenantId: string, realmId?: string): Promise<{ query: Record<string, string>; url: URL }> {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId });
    return { query: await approveAtEmulator(h, url, realmId), url: new URL(url) };
  }

  const grantStatus = (realmId: string) => h.emulator.state.realmSummary(realmId)?.status;

  it('asks for openid and sends a nonce bound to the state, even when the host passes its own scopes', async () => {
    const { url, state } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-url', scopes: ['com.intuit.quickbooks.accounting'] });
    const params = new URL(url).searchParams;
    expect(params.get('scope')!.split(' ')).toEqual(['com.intuit.quickbooks.accounting', 'openid']);
    const nonce = params.get('nonce')!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nonce).not.toBe(state);
    // Another state, another nonce.
    const again = new URL((await h.connect.createAuthorizeUrl({ tenantId: 'tenant-url' })).url).searchParams.get('nonce');
    expect(again).not.toBe(nonce);
  });

  it('connects when the id_token verifies (signature, iss, aud, exp, nonce, realmid)', async () => {
    const { query } = await consent('tenant-ok');
    const result = await h.connect.handleCallback({ query, expectedTenantId: 'tenant-ok' });
    expect(result.connection).toMatchObject({ tenantId: 'tenant-ok', realmId: query.realmId, status: 'active' });
    expect(result.connection.scopes).toContain('openid');
    expect(grantStatus(query.realmId)).toBe('active');
  });

  it("refuses a stolen code redeemed with the attacker's own valid state; nothing stored, the grant revoked at Intuit", async () => {
    const victim = await consent('tenant-victim');
    // The attacker has the victim's code, and a state of their own (their own session, their own tenant).
    const attacker = await consent('tenant-attacker');
    const forged = { ...attacker.query, code: victim.query.code, realmId: victim.query.realmId };
    const err = await h.connect.handleCallback({ query: forged, expectedTenantId: 'tenant-attacker' }).catch((e: unknown) => e);
    // Nothing stored under the attacker's tenant: the victim's company is not theirs.
    expect(await h.tokens.listConnections('tenant-attacker')).toEqual([]);
    expect(await h.storage.get({ tenantId: 'tenant-attacker', realmId: victim.query.realmId })).toBeNull();
    expect(err).toBeInstanceOf(CallbackVerificationError);
    expect(err).toBeInstanceOf(InvalidCallbackError); // hosts mapping that to 400 keep doing so
    expect(err).toMatchObject({ code: 'callback_verification_failed', reason: 'nonce_mismatch', revokedAtIntuit: true });
    // The victim's company is not left connected to our app by a grant nobody holds.
    expect(grantStatus(victim.query.realmId)).toBe('revoked');
  });

  it('refuses a callback whose realmId was rewritten, and leaves an existing connection to that realm untouched', async () => {
    const existingRealm = await connectTenant(h, 'tenant-rewrite');
    const before = (await h.storage.get({ tenantId: 'tenant-rewrite', realmId: existingRealm }))!;
    const { query } = await consent('tenant-rewrite');
    expect(query.realmId).not.toBe(existingRealm);
    const err = await h.connect
      .handleCallback({ query: { ...query, realmId: existingRealm }, expectedTenantId: 'tenant-rewrite' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CallbackVerificationError', reason: 'realm_mismatch', revokedAtIntuit: true });
    const after = (await h.storage.get({ tenantId: 'tenant-rewrite', realmId: existingRealm }))!;
    expect(after.refreshTokenFingerprint).toBe(before.refreshTokenFingerprint);
    expect(after.version).toBe(before.version);
    expect(await h.storage.get({ tenantId: 'tenant-rewrite', realmId: query.realmId })).toBeNull();
    expect(grantStatus(query.realmId)).toBe('revoked'); // the grant the code really issued
    expect(grantStatus(existingRealm)).toBe('active'); // the stored connection's own grant
  });

  it.each([
    ['foreign_key', 'id_token_invalid'],
    ['alg_none', 'id_token_invalid'],
    ['issuer', 'id_token_invalid'],
    ['audience', 'id_token_invalid'],
    ['expired', 'id_token_invalid'],
    ['nonce', 'nonce_mismatch'],
    ['realmid', 'realm_mismatch'],
    ['missing', 'id_token_missing'],
  ] as const)('refuses an id_token spoilt as %s (%s), revokes, stores nothing', async (tamper, reason) => {
    const tenantId = `tenant-spoilt-${tamper}`;
    const { query } = await consent(tenantId);
    h.emulator.state.faults.add({ endpoint: 'token', type: 'bad_id_token', idToken: tamper, count: 1 });
    await expect(h.connect.handleCallback({ query, expectedTenantId: tenantId })).rejects.toMatchObject({
      name: 'CallbackVerificationError',
      reason,
      revokedAtIntuit: true,
    });
    expect(await h.tokens.listConnections(tenantId)).toEqual([]);
    expect(grantStatus(query.realmId)).toBe('revoked');
  });

  it.each([
    ['90 s behind', -90_000, true],
    ['90 s ahead', 90_000, true],
    ['15 min behind (iat in the future)', -900_000, false],
    ['15 min ahead (id_token too old)', 900_000, false],
    ['2 h ahead (id_token expired)', 7_200_000, false],
  ])('app clock %s Intuit: accepted=%s', async (_label, offsetMs, accepted) => {
    const tenantId = `tenant-skew-${offsetMs}`;
    const { query } = await consent(tenantId);
    // Intuit's clock moves, the app's stays put (its state must not expire meanwhile).
    h.emulator.state.clock.advance(-offsetMs / 1000);
    appAheadMs = offsetMs;
    try {
      const outcome = h.connect.handleCallback({ query, expectedTenantId: tenantId });
      if (accepted) await expect(outcome).resolves.toMatchObject({ reconnected: false });
      else await expect(outcome).rejects.toMatchObject({ reason: 'id_token_invalid', revokedAtIntuit: true });
    } finally {
      h.emulator.state.clock.advance(offsetMs / 1000);
      appAheadMs = 0;
    }
  });

  it('revokes at most twice and says so when Intuit will not revoke the refused tokens', async () => {
    const victim = await consent('tenant-v2');
    const attacker = await consent('tenant-a2');
    h.emulator.state.faults.add({ endpoint: 'revoke', type: 'status', status: 503, count: 2 });
    await expect(
      h.connect.handleCallback({
        query: { ...attacker.query, code: victim.query.code, realmId: victim.query.realmId },
        expectedTenantId: 'tenant-a2',
      }),
    ).rejects.toMatchObject({ reason: 'nonce_mismatch', revokedAtIntuit: false });
    expect(await h.tokens.listConnections('tenant-a2')).toEqual([]);
    expect(
      h.logs.lines.some((l) =>
        /callback refused \(nonce_mismatch\).*revoking the tokens Intuit issued for it failed \(transient\)/.test(l),
      ),
    ).toBe(true);
  });

  it('never logs the code, the id_token or the tokens of a refused callback', async () => {
    const victim = await consent('tenant-v3');
    const attacker = await consent('tenant-a3');
    await h.connect
      .handleCallback({
        query: { ...attacker.query, code: victim.query.code, realmId: victim.query.realmId },
        expectedTenantId: 'tenant-a3',
      })
      .catch(() => undefined);
    expect(findLeaks(h.logs.text(), { code: victim.query.code })).toEqual([]);
    expect(h.logs.lines.join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\./);
  });
});

describe("Intuit's signing keys (JWKS)", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
  });
  afterAll(async () => h?.close());

  const jwksFetches = () => h.emulator.state.statsSnapshot().calls.byEndpoint.jwks ?? 0;
  const codeExchanges = () => h.emulator.state.statsSnapshot().calls.byGrant.authorization_code;

  it('unreachable before the exchange: QuickBooksUnavailableError, and the code is not spent', async () => {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-jwks-down' });
    const query = await approveAtEmulator(h, url);
    h.emulator.state.faults.add({ endpoint: 'jwks', type: 'status', status: 503, count: 1 });
    await expect(h.connect.handleCallback({ query, expectedTenantId: 'tenant-jwks-down' })).rejects.toBeInstanceOf(
      QuickBooksUnavailableError,
    );
    expect(codeExchanges()).toBe(0);
    expect(await h.tokens.listConnections('tenant-jwks-down')).toEqual([]);
  });

  it('cached: many callbacks, one fetch', async () => {
    const before = jwksFetches();
    for (let i = 0; i < 3; i++) await connectTenant(h, `tenant-jwks-${i}`);
    expect(jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('an id_token under a new kid (Intuit rotated its key) refetches the set once and verifies', async () => {
    await connectTenant(h, 'tenant-before-rotation');
    const before = jwksFetches();
    const kid = h.emulator.state.idTokens.rotateKey();
    expect(kid).toBe('emulator-rs256-2');
    const realmId = await connectTenant(h, 'tenant-after-rotation');
    expect(realmId).toMatch(/^\d+$/);
    expect(jwksFetches() - before).toBe(1);
    await connectTenant(h, 'tenant-after-rotation-2');
    expect(jwksFetches() - before).toBe(1);
  });

  it("an id_token signed by a key that is not Intuit's is refused", async () => {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-unknown-kid' });
    const query = await approveAtEmulator(h, url);
    const before = jwksFetches();
    h.emulator.state.faults.add({ endpoint: 'token', type: 'bad_id_token', idToken: 'foreign_key', count: 1 });
    await expect(h.connect.handleCallback({ query, expectedTenantId: 'tenant-unknown-kid' })).rejects.toMatchObject({
      reason: 'id_token_invalid',
    });
    // Same kid as the published key: no refetch, the signature check itself fails.
    expect(jwksFetches() - before).toBe(0);
    expect(await h.tokens.listConnections('tenant-unknown-kid')).toEqual([]);
  });
});
