import { ACCOUNTING, basic, CLIENT_ID, CLIENT_SECRET, Harness, http, REDIRECT_URI, start } from './emulator-harness';

describe('Intuit emulator: OAuth protocol over real HTTP', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(await start());
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  describe('discovery', () => {
    it.each([
      ['/.well-known/openid_configuration', 'production'],
      ['/.well-known/openid_sandbox_configuration', 'sandbox'],
      ['/.well-known/openid_configuration/', 'production'],
    ])('serves %s pointing at the emulator (userinfo in the %s namespace)', async (path, environment) => {
      const res = await http.get(`${h.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.data).toMatchObject({
        issuer: `${h.url}/op/v1`,
        authorization_endpoint: `${h.url}/connect/oauth2`,
        token_endpoint: `${h.url}/oauth2/v1/tokens/bearer`,
        userinfo_endpoint: `${h.url}/${environment}/v1/openid_connect/userinfo`,
        revocation_endpoint: `${h.url}/v2/oauth2/tokens/revoke`,
        jwks_uri: `${h.url}/op/v1/jwks`,
        response_types_supported: ['code'],
      });
    });

    it('publishes an RS256 JWKS', async () => {
      const res = await http.get(`${h.url}/op/v1/jwks`);
      expect(res.data.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: expect.any(String), n: expect.any(String), e: 'AQAB' });
    });
  });

  describe('headers on every response', () => {
    it.each([
      ['GET', '/.well-known/openid_configuration'],
      ['POST', '/oauth2/v1/tokens/bearer'],
      ['POST', '/v2/oauth2/tokens/revoke'],
      ['GET', '/v1/openid_connect/userinfo'],
      ['GET', '/v3/company/1234567890/companyinfo/1234567890'],
      ['GET', '/_emulator/clock'],
      ['GET', '/nope'],
    ])('%s %s', async (method, path) => {
      const res = await http.request({ method, url: `${h.url}${path}` });
      expect(res.headers.intuit_tid).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      expect(res.headers['cache-control']).toBe('no-cache, no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.headers['content-type']).toBe('application/json;charset=UTF-8');
    });

    it('Date header follows the emulator clock and configured skew', async () => {
      await h.advance(3600);
      await h.control('POST', '/config', { clockSkewSeconds: 120 });
      const res = await http.get(`${h.url}/_emulator/clock`);
      const date = Date.parse(res.headers.date as string);
      expect(Math.abs(date - (Date.now() + 3_720_000))).toBeLessThan(5000);
      expect(res.data.offsetMs).toBe(3_600_000);
    });
  });

  describe('authorize', () => {
    it('unknown client_id: 400 error page, no redirect', async () => {
      const res = await http.get(h.authorizeUrl({ client_id: 'who' }));
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/text\/html/);
    });

    it.each(['http://localhost:3000/quickbooks/callback/', 'http://localhost:3000/other', 'https://localhost:3000/quickbooks/callback'])(
      'redirect_uri %s not registered exactly: 400, no redirect',
      async (redirectUri) => {
        const res = await http.get(h.authorizeUrl({ redirect_uri: redirectUri }));
        expect(res.status).toBe(400);
        expect(res.headers.location).toBeUndefined();
      },
    );

    it('renders a consent page with Approve/Deny buttons', async () => {
      const res = await http.get(h.authorizeUrl());
      expect(res.status).toBe(200);
      expect(res.data).toContain('id="approve"');
      expect(res.data).toContain('>Approve<');
      expect(res.data).toContain('id="deny"');
      expect(res.data).toContain('>Deny<');
    });

    it('approve redirects with code, verbatim state and a numeric realmId', async () => {
      const cb = await h.consent('approve', { state: 'a b&c=d/é' });
      expect(`${cb.origin}${cb.pathname}`).toBe(REDIRECT_URI);
      expect(cb.searchParams.get('code')).toMatch(/^\S{20,512}$/);
      expect(cb.searchParams.get('state')).toBe('a b&c=d/é');
      expect(cb.searchParams.get('realmId')).toMatch(/^[0-9]{10,19}$/);
    });

    it('approve honours a chosen realmId', async () => {
      const cb = await h.consent('approve', {}, '123456789012345');
      expect(cb.searchParams.get('realmId')).toBe('123456789012345');
    });

    it('deny redirects with error=access_denied and state', async () => {
      const cb = await h.consent('deny');
      expect(cb.searchParams.get('error')).toBe('access_denied');
      expect(cb.searchParams.get('state')).toBe('st-123');
      expect(cb.searchParams.get('code')).toBeNull();
    });

    it('bad scope redirects with error=invalid_scope', async () => {
      const res = await http.get(h.authorizeUrl({ scope: 'com.intuit.quickbooks.accounting nonsense' }));
      expect(res.status).toBe(302);
      const cb = new URL(res.headers.location as string);
      expect(cb.searchParams.get('error')).toBe('invalid_scope');
      expect(cb.searchParams.get('state')).toBe('st-123');
    });

    it('auto-approve redirects straight away, to the configured realm', async () => {
      await h.control('POST', '/auto-approve', { enabled: true, realmId: '9999999999' });
      const res = await http.get(h.authorizeUrl());
      expect(res.status).toBe(302);
      const cb = new URL(res.headers.location as string);
      expect(cb.searchParams.get('code')).toBeTruthy();
      expect(cb.searchParams.get('realmId')).toBe('9999999999');
    });
  });

  describe('token endpoint: authorization_code', () => {
    it('exchanges a code for Intuit-shaped tokens', async () => {
      const { body } = await h.connect();
      expect(body).toEqual({
        token_type: 'bearer',
        expires_in: 3600,
        refresh_token: expect.stringMatching(/^RT1-\d+-H0-\d{10}[a-z0-9]+$/),
        x_refresh_token_expires_in: 8_726_400,
        access_token: expect.stringMatching(/^eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0\.\./),
      });
      expect(body.access_token.length).toBeGreaterThan(300);
    });

    it('includes an RS256 id_token only with the openid scope', async () => {
      const { body } = await h.connect(`${ACCOUNTING} openid email`);
      const [header, payload] = body.id_token
        .split('.')
        .slice(0, 2)
        .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header.alg).toBe('RS256');
      expect(payload).toMatchObject({ aud: [CLIENT_ID], iss: `${h.url}/op/v1`, realmid: expect.stringMatching(/^\d+$/) });
    });

    it('x_refresh_token_hard_expires_in only on request', async () => {
      const { body } = await h.connect(ACCOUNTING, { 'x-include-refresh-token-hard-expires-in': 'true' });
      expect(body.x_refresh_token_hard_expires_in).toBe(157_680_000);
    });

    it('accepts client credentials in the body', async () => {
      const cb = await h.consent('approve');
      const res = await http.post(
        `${h.url}/oauth2/v1/tokens/bearer`,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code: cb.searchParams.get('code')!,
          redirect_uri: REDIRECT_URI,
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        }).toString(),
        { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      );
      expect(res.status).toBe(200);
    });

    it('replayed code: invalid_grant and the grant it issued is revoked', async () => {
      const cb = await h.consent('approve');
      const params = { grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT_URI };
      const first = await h.token(params);
      expect(first.status).toBe(200);
      const replay = await h.token(params);
      expect(replay.status).toBe(400);
      expect(replay.data).toEqual({ error: 'invalid_grant', error_description: 'Invalid authorization code' });
      expect((await h.refresh(first.data.refresh_token)).data).toEqual({ error: 'invalid_grant' });
      const realm = await h.control('GET', `/realms/${cb.searchParams.get('realmId')}`);
      expect(realm.data.status).toBe('revoked');
    });

    it('code past its TTL: invalid_grant', async () => {
      const cb = await h.consent('approve');
      await h.advance(601);
      const res = await h.token({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT_URI });
      expect(res.status).toBe(400);
      expect(res.data.error).toBe('invalid_grant');
    });

    it('redirect_uri must match the authorize one', async () => {
      const cb = await h.consent('approve');
      const res = await h.token({
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code')!,
        redirect_uri: 'http://localhost:3000/x',
      });
      expect(res.status).toBe(400);
      expect(res.data.error).toBe('invalid_grant');
    });

    it.each([
      ['wrong secret', basic(CLIENT_ID, 'nope')],
      ['unknown client', basic('ghost', CLIENT_SECRET)],
      ['garbage header', 'Basic !!!'],
    ])('%s: 401 invalid_client', async (_name, authorization) => {
      const res = await h.token({ grant_type: 'refresh_token', refresh_token: 'x' }, { authorization });
      expect(res.status).toBe(401);
      expect(res.data).toEqual({ error: 'invalid_client' });
    });

    it('missing credentials: 401 invalid_client', async () => {
      const res = await http.post(`${h.url}/oauth2/v1/tokens/bearer`, 'grant_type=refresh_token&refresh_token=x', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(401);
      expect(res.data).toEqual({ error: 'invalid_client' });
    });

    it('unsupported grant: 400 unsupported_grant_type', async () => {
      const res = await h.token({ grant_type: 'password' });
      expect(res.status).toBe(400);
      expect(res.data).toEqual({ error: 'unsupported_grant_type' });
    });
  });

  describe('revoke', () => {
    it('a refresh token revokes the whole grant (JSON body)', async () => {
      const { body } = await h.connect();
      const res = await http.post(
        `${h.url}/v2/oauth2/tokens/revoke`,
        { token: body.refresh_token },
        { headers: { authorization: basic() } },
      );
      expect(res.status).toBe(200);
      expect(res.data).toBe('');
      expect((await h.refresh(body.refresh_token)).status).toBe(400);
      expect(
        (await http.get(`${h.url}/v1/openid_connect/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } })).status,
      ).toBe(401);
    });

    it('an access token revokes the whole grant (form body)', async () => {
      const { body } = await h.connect();
      const res = await http.post(`${h.url}/v2/oauth2/tokens/revoke`, new URLSearchParams({ token: body.access_token }).toString(), {
        headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(200);
      expect((await h.refresh(body.refresh_token)).data).toEqual({ error: 'invalid_grant' });
    });

    it('unknown token: 400; bad client: 401', async () => {
      const unknown = await http.post(`${h.url}/v2/oauth2/tokens/revoke`, { token: 'nope' }, { headers: { authorization: basic() } });
      expect(unknown.status).toBe(400);
      const bad = await http.post(
        `${h.url}/v2/oauth2/tokens/revoke`,
        { token: 'nope' },
        { headers: { authorization: basic(CLIENT_ID, 'x') } },
      );
      expect(bad.status).toBe(401);
      expect(bad.data).toEqual({ error: 'invalid_client' });
    });
  });

  describe('userinfo', () => {
    it('returns camelCase claims filtered by scope', async () => {
      const { body } = await h.connect(`${ACCOUNTING} openid email profile`);
      const res = await http.get(`${h.url}/v1/openid_connect/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
      expect(res.status).toBe(200);
      expect(res.data).toEqual({
        sub: expect.any(String),
        email: expect.any(String),
        emailVerified: true,
        givenName: 'Emulated',
        familyName: 'Owner',
      });
    });

    it('401 once the access token expired', async () => {
      const { body } = await h.connect(`${ACCOUNTING} openid`);
      await h.advance(3601);
      const res = await http.get(`${h.url}/v1/openid_connect/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
      expect(res.status).toBe(401);
    });
  });

  describe('companyinfo', () => {
    it('returns CompanyInfo for a token of that realm', async () => {
      const c = await h.mint();
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}?minorversion=75`, {
        headers: { authorization: `Bearer ${c.access_token}` },
      });
      expect(res.status).toBe(200);
      expect(res.data.CompanyInfo).toMatchObject({ CompanyName: expect.any(String), Id: '1' });
      expect(typeof res.data.time).toBe('string');
    });

    it('expired token: 401 with Intuit fault body and www-authenticate', async () => {
      const c = await h.mint();
      await h.advance(3600);
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
        headers: { authorization: `Bearer ${c.access_token}` },
      });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="Intuit", error="invalid_token"');
      expect(res.data).toEqual({
        warnings: null,
        intuitObject: null,
        fault: {
          error: [
            {
              message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
              detail: `Token expired: ${c.access_token.slice(0, 10)}`,
              code: '3200',
              element: null,
            },
          ],
          type: 'AUTHENTICATION',
        },
        report: null,
        queryResponse: null,
        batchItemResponse: [],
        attachableResponse: [],
        syncErrorResponse: null,
        requestId: null,
        time: expect.any(Number),
        status: null,
        cdcresponse: [],
      });
    });

    it('revoked realm: 401', async () => {
      const c = await h.mint();
      await h.control('POST', '/revoke-realm', { realmId: c.realmId });
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
        headers: { authorization: `Bearer ${c.access_token}` },
      });
      expect(res.status).toBe(401);
    });

    it("another realm's token: 401 AuthenticationFailed code 100, as Intuit answers", async () => {
      const a = await h.mint();
      const b = await h.mint();
      const res = await http.get(`${h.url}/v3/company/${b.realmId}/companyinfo/${b.realmId}`, {
        headers: { authorization: `Bearer ${a.access_token}` },
      });
      expect(res.status).toBe(401);
      expect(res.data).toEqual({
        Fault: {
          Error: [
            {
              Message: 'General Authentication Error',
              Detail: 'AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401',
              code: '100',
            },
          ],
          type: 'AuthenticationFault',
        },
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it('429 ThrottleExceeded past the per-realm limit', async () => {
      await h.control('POST', '/config', { rateLimitPerMinute: 5 });
      // Put the emulator clock 1 s into a fresh minute so the fixed window cannot roll mid-test.
      const real = Date.now();
      await h.control('POST', '/clock/set', { offsetMs: Math.ceil(real / 60_000) * 60_000 + 1000 - real });
      const c = await h.mint();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
          headers: { authorization: `Bearer ${c.access_token}` },
        });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.data.Fault.Error[0].Message).toBe('message=ThrottleExceeded; errorCode=003001; statusCode=429');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      // Another realm has its own budget.
      const other = await h.mint();
      const res = await http.get(`${h.url}/v3/company/${other.realmId}/companyinfo/${other.realmId}`, {
        headers: { authorization: `Bearer ${other.access_token}` },
      });
      expect(res.status).toBe(200);
    });
  });
});
