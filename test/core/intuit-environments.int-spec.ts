/**
 * The library against the stricter emulator (issue 15): Intuit's own issuer in the id_token, and
 * sandbox and production as separate namespaces of one instance. Development (sandbox) keys
 * connect and call the sandbox API; production keys the production API; sandbox keys used against
 * the production API are refused as Intuit refuses them, after one forced refresh and no more.
 */
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { QuickBooksApiClient, QuickBooksApiError, type QuickBooksAuthModuleOptions } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';

const PRODUCTION_CLIENT = {
  clientId: 'prod-client-id',
  clientSecret: `${TEST_CLIENT.clientSecret}-prod`,
  redirectUri: TEST_CLIENT.redirectUri,
};

describe('the library against an Intuit-compatible emulator with both environments', () => {
  let emulator: RunningEmulator;
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({
      intuitCompatible: true,
      clients: [
        { ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri], environment: 'sandbox' },
        { ...PRODUCTION_CLIENT, redirectUris: [PRODUCTION_CLIENT.redirectUri], environment: 'production' },
      ],
    });
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
    await emulator.close();
  });

  async function harness(options: Partial<QuickBooksAuthModuleOptions>): Promise<Harness> {
    const h = await startHarness({ storage: { type: 'memory' }, emulator, options });
    harnesses.push(h);
    return h;
  }

  it("sandbox keys: the id_token from Intuit's issuer verifies, the realm connects, the sandbox API answers", async () => {
    const h = await harness({ environment: 'sandbox', apiBaseUrl: `${emulator.url}/sandbox` });
    const realmId = await connectTenant(h, 'tenant-sandbox');
    const info = await h.app.get(QuickBooksApiClient).getCompanyInfo({ tenantId: 'tenant-sandbox', realmId });
    expect(info.CompanyName).toBe(`Emulated Company ${realmId}`);
  });

  it('production keys: the production discovery document, the production API', async () => {
    const h = await harness({ ...PRODUCTION_CLIENT, environment: 'production', apiBaseUrl: `${emulator.url}/production` });
    const realmId = await connectTenant(h, 'tenant-production');
    const info = await h.app.get(QuickBooksApiClient).getCompanyInfo({ tenantId: 'tenant-production', realmId });
    expect(info.CompanyName).toBe(`Emulated Company ${realmId}`);
  });

  it('sandbox keys against the production API: 401, one forced refresh, then no refresh storm', async () => {
    const h = await harness({ environment: 'sandbox', apiBaseUrl: `${emulator.url}/production` });
    const ref = { tenantId: 'tenant-mixed', realmId: await connectTenant(h, 'tenant-mixed') };
    const refreshes = (): number => emulator.state.statsSnapshot().calls.byRealm[ref.realmId]?.refresh_token ?? 0;
    const api = h.app.get(QuickBooksApiClient);

    const err = await api.getCompanyInfo(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuickBooksApiError);
    expect(err).toMatchObject({ status: 401, faultType: 'AUTHENTICATION', faultCode: '3200', retryable: false });
    expect(refreshes()).toBe(1);
    await expect(api.getCompanyInfo(ref)).rejects.toBeInstanceOf(QuickBooksApiError);
    expect(refreshes()).toBe(1);
    // The connection itself is fine: it is the API host that belongs to the other environment.
    expect((await h.tokens.getConnection(ref)).status).toBe('active');
  });
});
