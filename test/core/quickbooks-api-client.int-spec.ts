/**
 * QuickBooksApiClient against the emulator's QBO API slice over HTTP: base URL from the one
 * `intuitBaseUrl` setting, tokens through withAccessToken (401: one refresh, one retry), Intuit's
 * fault envelope and intuit_tid parsed into QuickBooksApiError, never a token in it (I5).
 */
import { QuickBooksApiClient, QuickBooksApiError, ReauthorizationRequiredError, type ConnectionRef } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

describe('QuickBooksApiClient', () => {
  let h: Harness;
  let api: QuickBooksApiClient;
  let ref: ConnectionRef;

  beforeAll(async () => {
    h = await startHarness({ storage: { type: 'memory' } });
    api = h.app.get(QuickBooksApiClient);
  });
  afterAll(() => h.close());
  beforeEach(async () => {
    h.emulator.state.faults.clear();
    const tenantId = `tenant-api-${Math.random().toString(36).slice(2, 8)}`;
    ref = { tenantId, realmId: await connectTenant(h, tenantId) };
  });

  const failure = async (call: Promise<unknown>): Promise<QuickBooksApiError> => {
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QuickBooksApiError);
    return err as QuickBooksApiError;
  };

  it('calls the API at the intuitBaseUrl the OAuth endpoints use', async () => {
    expect(api.baseUrl).toBe(h.emulator.url);
    const info = await api.getCompanyInfo(ref);
    expect(info).toMatchObject({ Id: '1', CompanyName: `Emulated Company ${ref.realmId}` });
  });

  it('runs a query statement and returns QueryResponse', async () => {
    const companies = await api.query(ref, 'select * from CompanyInfo');
    expect(companies.CompanyInfo).toEqual([expect.objectContaining({ CompanyName: `Emulated Company ${ref.realmId}` })]);
    expect(await api.query(ref, "select * from Customer where DisplayName = 'nobody'")).toEqual({});
  });

  it('parses a fault envelope into status, fault type, code and intuit_tid', async () => {
    const err = await failure(api.query(ref, 'delete everything'));
    expect(err).toMatchObject({ status: 400, failure: 'fault', faultType: 'ValidationFault', faultCode: '4000', retryable: false });
    expect(err.faults[0]).toMatchObject({ message: 'Error parsing query' });
    expect(err.intuitTid).toMatch(/\S+/);
    expect(err.message).toContain(`intuit_tid=${err.intuitTid}`);
  });

  it('a 401 for a token Intuit dropped early: one refresh, one retry, success', async () => {
    const before = await h.tokens.getAccessToken(ref);
    h.emulator.state.store.accessTokens.delete(before);
    const info = await api.getCompanyInfo(ref);
    expect(info.CompanyName).toBe(`Emulated Company ${ref.realmId}`);
    expect(await h.tokens.getAccessToken(ref)).not.toBe(before);
  });

  it('a refreshed token refused too: QuickBooksApiError 401 whose detail has the echoed token removed', async () => {
    const before = await h.tokens.getAccessToken(ref);
    const issued = h.emulator.state.store.accessTokens;
    issued.get(before)!.expiresAt = 0;
    const set = issued.set;
    issued.set = function (this: typeof issued, value, record) {
      return set.call(this, value, { ...record, expiresAt: 0 }); // Intuit treats every token it issues from now on as expired
    };
    try {
      const err = await failure(api.getCompanyInfo(ref));
      const fresh = (await h.storage.get(ref))!.accessToken;
      expect(fresh).not.toBe(before);
      expect(err).toMatchObject({ status: 401, failure: 'fault', faultType: 'AUTHENTICATION', faultCode: '3200' });
      expect(err.faults[0].detail).toBe('Token expired: [Redacted]');
      const everything = `${err.message}\n${JSON.stringify(err)}\n${err.stack}`;
      for (const token of [before, fresh]) expect(everything).not.toContain(token.slice(0, 10));
    } finally {
      issued.set = set;
    }
  });

  it('a token Intuit takes for another company: 401 code 100 after one refresh, and no refresh storm after it', async () => {
    const refreshes = (): number => h.emulator.state.statsSnapshot().calls.byGrant.refresh_token;
    const token = await h.tokens.getAccessToken(ref);
    // Intuit now binds this connection's grant to another company: every token it issues is refused here.
    h.emulator.state.store.accessTokens.get(token)!.grant.realmId = '9999999999999999';
    const before = refreshes();

    const err = await failure(api.getCompanyInfo(ref));
    expect(err).toMatchObject({ status: 401, failure: 'fault', faultType: 'AuthenticationFault', faultCode: '100', retryable: false });
    expect(refreshes()).toBe(before + 1);

    for (let i = 0; i < 5; i++) await failure(api.getCompanyInfo(ref));
    expect(refreshes()).toBe(before + 1); // the refused token is not refreshed again

    expect(
      h.logs.lines.filter((l) => l.includes('QBO refused a just-refreshed access token') && l.includes(`tenant=${ref.tenantId} `)),
    ).toHaveLength(1);

    // A new token (near expiry: refreshed on demand) lifts the hold: it is tried, refused, and forced once more.
    h.emulator.state.clock.advance(3600 - 120);
    await failure(api.getCompanyInfo(ref));
    expect(refreshes()).toBe(before + 3);
    await failure(api.getCompanyInfo(ref));
    expect(refreshes()).toBe(before + 3);
  });

  it('throttled: 429 with Retry-After in ms, retryable', async () => {
    h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'rate_limit', retryAfter: 7, count: 1 });
    // The API governor resends a 429 after Retry-After only within the call's deadline: 7 s is past 5 s, so the caller gets it.
    const err = await failure(api.request(ref, { path: `companyinfo/${ref.realmId}`, queueTimeoutMs: 5000 }));
    expect(err).toMatchObject({ status: 429, failure: 'fault', faultCode: '003001', retryAfterMs: 7000, retryable: true });
  });

  it('an HTML 503 from the edge: http_error, retryable', async () => {
    h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 503, body: 'html', count: 1 });
    const err = await failure(api.getCompanyInfo(ref));
    expect(err).toMatchObject({ status: 503, failure: 'http_error', faults: [], retryable: true });
  });

  it('no answer (connection reset): status null, no_response', async () => {
    h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'reset', count: 1 });
    const err = await failure(api.getCompanyInfo(ref));
    expect(err).toMatchObject({ status: null, failure: 'no_response', retryable: true });
  });

  it('a revoked connection: the token call refuses and the caller gets ReauthorizationRequiredError', async () => {
    h.emulator.state.revokeRealm(ref.realmId);
    await expect(api.getCompanyInfo(ref)).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });

  it('refuses a path that could leave the connection company', async () => {
    for (const path of ['/v3/company/1/companyinfo/1', '../other/companyinfo/1', 'companyinfo/1?x=1', 'https://evil.example/x']) {
      await expect(api.request(ref, { path })).rejects.toThrow(TypeError);
    }
  });
});
