import { InvalidCallbackError } from '../../errors/invalid-callback.error';
import { InvalidStateError } from '../../errors/invalid-state.error';
import { ReconnectRealmMismatchError } from '../../errors/reconnect-realm-mismatch.error';
import { approveAtEmulator, connectTenant, startHarness, type Harness } from '../../../../../test/support/quickbooks-harness';
import { TEST_CLIENT } from '../../../../../test/support/test-keys';

/**
 * ConnectService's own decisions, on the real module (memory storage) against the emulator over
 * HTTP: the authorize URL carries a signed state and the configured redirect, a callback's state
 * is verified and single-use, bound to its tenant, and a reconnect is for one company only.
 */
describe('ConnectService', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
  });
  afterAll(() => h.close());

  it('builds an authorize URL with the configured client, redirect and its state', async () => {
    const { url, state, expiresAt } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-c' });
    const params = new URL(url).searchParams;
    expect(params.get('client_id')).toBe(TEST_CLIENT.clientId);
    expect(params.get('redirect_uri')).toBe(TEST_CLIENT.redirectUri);
    expect(params.get('state')).toBe(state);
    expect(params.get('scope')!.split(' ')).toContain('openid');
    expect(expiresAt.getTime()).toBeGreaterThan(h.emulator.state.clock.now());
  });

  it('refuses a tenantId that is missing or too long', async () => {
    await expect(h.connect.createAuthorizeUrl({ tenantId: '' })).rejects.toBeInstanceOf(InvalidCallbackError);
    await expect(h.connect.createAuthorizeUrl({ tenantId: 'x'.repeat(129) })).rejects.toBeInstanceOf(InvalidCallbackError);
  });

  it('accepts its own state once; a replay is refused', async () => {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-c' });
    const query = await approveAtEmulator(h, url);
    const result = await h.connect.handleCallback({ query, expectedTenantId: 'tenant-c' });
    expect(result.connection).toMatchObject({ tenantId: 'tenant-c', realmId: query.realmId });
    await expect(h.connect.handleCallback({ query, expectedTenantId: 'tenant-c' })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('refuses an altered or foreign state before exchanging the code', async () => {
    const { url, state } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-c' });
    const query = await approveAtEmulator(h, url);
    const codeGrants = h.emulator.state.statsSnapshot().calls.byGrant.authorization_code;
    const flipped = state.slice(0, -1) + (state.endsWith('A') ? 'B' : 'A');
    await expect(h.connect.handleCallback({ query: { ...query, state: flipped } })).rejects.toBeInstanceOf(InvalidStateError);
    await expect(h.connect.handleCallback({ query: { ...query, state: 'not-a-state' } })).rejects.toBeInstanceOf(InvalidStateError);
    expect(h.emulator.state.statsSnapshot().calls.byGrant.authorization_code).toBe(codeGrants);
    // The genuine state still works: the refused attempts did not consume it.
    await expect(h.connect.handleCallback({ query })).resolves.toMatchObject({ connection: { tenantId: 'tenant-c' } });
  });

  it("refuses a state issued to another tenant than the request's (I7)", async () => {
    const { url } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-c' });
    const query = await approveAtEmulator(h, url);
    await expect(h.connect.handleCallback({ query, expectedTenantId: 'tenant-other' })).rejects.toBeInstanceOf(InvalidStateError);
    expect(await h.tokens.listConnections('tenant-other')).toEqual([]);
  });

  it('a reconnect URL is for its company only', async () => {
    const realmId = await connectTenant(h, 'tenant-r');
    const { url } = await h.connect.createReconnectUrl({ tenantId: 'tenant-r', realmId });
    const query = await approveAtEmulator(h, url, '9130357766600000');
    await expect(h.connect.handleCallback({ query, expectedTenantId: 'tenant-r' })).rejects.toBeInstanceOf(ReconnectRealmMismatchError);
    expect((await h.tokens.listConnections('tenant-r')).map((c) => c.realmId)).toEqual([realmId]);
  });
});
