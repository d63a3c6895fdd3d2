import { DEFAULT_CONFIG } from '@quickbooks-auth/intuit-emulator';
import { CLIENT_ID, Harness, http, start } from './emulator-harness';

/**
 * Every control route validates its JSON body before acting: a field of the wrong type or out of
 * range answers 400 invalid_request naming the field, is never cast, and changes nothing.
 */
describe('Intuit emulator: control API bodies', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(await start());
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  it.each<[string, Record<string, unknown>, string]>([
    ['/clients', { clientSecret: 's', redirectUris: ['https://a.example/cb'] }, 'clientId'],
    ['/clients', { clientId: 5, clientSecret: 's', redirectUris: ['https://a.example/cb'] }, 'clientId'],
    ['/clients', { clientId: 'a', clientSecret: '', redirectUris: ['https://a.example/cb'] }, 'clientSecret'],
    ['/clients', { clientId: 'a', clientSecret: 's', redirectUris: 'https://a.example/cb' }, 'redirectUris'],
    ['/clients', { clientId: 'a', clientSecret: 's', redirectUris: [7] }, 'redirectUris'],
    ['/clients', { clientId: 'a', clientSecret: 's', redirectUris: [], environment: 'staging' }, 'environment'],
    ['/auto-approve', { enabled: 'yes' }, 'enabled'],
    ['/auto-approve', { enabled: true, realmId: '12' }, 'realmId'],
    ['/connections', { clientId: 5 }, 'clientId'],
    ['/connections', { count: '10' }, 'count'],
    ['/connections', { count: 1.5 }, 'count'],
    ['/connections', { count: 0 }, 'count'],
    ['/connections', { count: null }, 'count'],
    ['/connections', { scope: 5 }, 'scope'],
    ['/connections', { realmId: 1234567890 }, 'realmId'],
    ['/revoke-realm', {}, 'realmId'],
    ['/revoke-realm', { realmId: 1234567890 }, 'realmId'],
    ['/revoke-realm', { realmId: '1234567890', disconnectUrl: 5 }, 'disconnectUrl'],
    ['/revoke-realm', { realmId: '1234567890', disconnectUrl: 'javascript:alert(1)' }, 'disconnectUrl'],
    ['/clock/advance', {}, 'seconds'],
    ['/clock/advance', { seconds: '60' }, 'seconds'],
    ['/clock/set', { offsetMs: null }, 'offsetMs'],
    ['/config', { accessTokenTtlSeconds: '60' }, 'accessTokenTtlSeconds'],
    ['/config', { refreshGraceSeconds: -1 }, 'refreshGraceSeconds'],
    ['/config', { clockSkewSeconds: 'late' }, 'clockSkewSeconds'],
    ['/config', { reuseDetection: 1 }, 'reuseDetection'],
    ['/config', { invalidGrantDescription: 5 }, 'invalidGrantDescription'],
    ['/faults', { type: 'reset' }, 'endpoint'],
    ['/faults', { endpoint: 'nope', type: 'reset' }, 'endpoint'],
    ['/faults', { endpoint: 'token', type: 'explode' }, 'type'],
    ['/faults', { endpoint: 'token', type: 'status', status: 42 }, 'status'],
    ['/faults', { endpoint: 'token', type: 'latency', latencyMs: '5' }, 'latencyMs'],
    ['/faults', { endpoint: 'token', type: 'reset', probability: 2 }, 'probability'],
    ['/faults', { endpoint: 'token', type: 'reset', count: 0 }, 'count'],
    ['/faults', { endpoint: 'token', type: 'status', body: 'xml' }, 'body'],
    ['/faults', { endpoint: 'token', type: 'rate_limit', retryAfter: true }, 'retryAfter'],
    ['/faults', { endpoint: 'token', type: 'reset', grantType: 'password' }, 'grantType'],
    ['/faults', { endpoint: 'token', type: 'bad_id_token', idToken: 'wrong' }, 'idToken'],
    ['/faults', { endpoint: 'revoke', type: 'bad_id_token' }, 'endpoint'],
  ])('POST %s %j -> 400 naming %s', async (route, body, field) => {
    const before = {
      clients: (await h.control('GET', '/clients')).data,
      config: (await h.control('GET', '/config')).data,
      clock: (await h.control('GET', '/clock')).data,
    };
    const res = await h.control('POST', route, body);
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(new RegExp(`^${field}\\b`)) });
    // Nothing acted on: no client, connection, fault, setting or clock change.
    expect((await h.control('GET', '/clients')).data).toEqual(before.clients);
    expect((await h.control('GET', '/config')).data).toEqual(before.config);
    expect((await h.control('GET', '/clock')).data.offsetMs).toBe(before.clock.offsetMs);
    expect((await h.control('GET', '/faults')).data).toEqual({ faults: [] });
    expect(h.emu.state.statsSnapshot().tokensIssued).toEqual({ access: 0, refresh: 0 });
    expect(h.emu.state.autoApprove).toEqual({ enabled: false });
  });

  it.each<[string, string]>([
    ['POST', '/reset'],
    ['POST', '/stats/reset'],
    ['POST', '/keys/rotate'],
    ['DELETE', '/faults'],
    ['DELETE', '/faults/f1'],
  ])('%s %s takes no fields but still refuses a body that is not a JSON object', async (method, route) => {
    for (const [body, description] of [
      ['[]', 'Body must be a JSON object'],
      ['"x"', 'Body must be a JSON object'],
      ['{no', 'Malformed JSON body'],
    ]) {
      const res = await http.request({
        method,
        url: `${h.url}/_emulator${route}`,
        data: body,
        headers: { 'content-type': 'application/json' },
        transformRequest: (d: unknown) => d,
      });
      expect({ status: res.status, data: res.data }).toEqual({
        status: 400,
        data: { error: 'invalid_request', error_description: description },
      });
    }
  });

  it('a good body still works, unknown fields are ignored as before, and optional fields can be left out', async () => {
    expect((await h.control('POST', '/config', { accessTokenTtlSeconds: 60, notASetting: true })).data).toEqual({
      ...DEFAULT_CONFIG,
      accessTokenTtlSeconds: 60,
    });
    expect((await h.control('POST', '/config', { invalidGrantDescription: null })).status).toBe(200);
    const minted = await h.control('POST', '/connections', {
      clientId: CLIENT_ID,
      scope: ['com.intuit.quickbooks.accounting', 'openid'],
      count: 2,
      extra: 'x',
    });
    expect(minted.data.connections).toHaveLength(2);
    expect((await h.control('POST', '/clock/advance', { seconds: 60 })).data.offsetMs).toBe(60_000);
    expect(
      (await h.control('POST', '/faults', { endpoint: 'token', type: 'bad_id_token', idToken: 'nonce', count: 1 })).data.fault,
    ).toMatchObject({ endpoint: 'token', type: 'bad_id_token', idToken: 'nonce', remaining: 1 });
    expect((await h.control('POST', '/auto-approve', { enabled: true, realmId: '1234567890' })).data).toEqual({
      enabled: true,
      realmId: '1234567890',
    });
    expect(
      (
        await h.control('POST', '/clients', {
          clientId: 'app2',
          clientSecret: 's2',
          redirectUris: ['https://app2.example.com/cb'],
          environment: 'production',
        })
      ).data,
    ).toEqual({ clientId: 'app2', environment: 'production', registered: true });
  });
});
