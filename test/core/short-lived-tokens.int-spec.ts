import { startEmulator } from '@quickbooks-auth/intuit-emulator';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';

/**
 * An Intuit (or emulator) that issues access tokens living less than `minValiditySeconds`: the
 * minimum can never be met, so one refresh must give the best token there is, not a loop of
 * token calls until the wait times out.
 */
describe('access tokens shorter-lived than the minimum validity', () => {
  let h: Harness;

  beforeAll(async () => {
    const emulator = await startEmulator({
      clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }],
      accessTokenTtlSeconds: 120,
    });
    h = await startHarness({ storage: { type: 'memory' }, emulator, options: { minValiditySeconds: 300 } });
  });

  afterAll(async () => {
    await h?.close();
    await h?.emulator.close();
  });

  it('one token call per expiry, and the 120 s token is served', async () => {
    const realmId = await connectTenant(h, 'tenant-short');
    const ref = { tenantId: 'tenant-short', realmId };
    const calls = () => h.emulator.state.statsSnapshot().calls.byRealm[realmId]?.refresh_token ?? 0;
    h.emulator.state.clock.advance(130);
    const started = Date.now();
    const token = await h.tokens.getAccessTokenDetails(ref);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(calls()).toBe(1);
    expect(token.expiresAt.getTime()).toBeGreaterThan(h.emulator.state.clock.now());
  });
});
