import type { AxiosResponse } from 'axios';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { EMULATOR_USAGE, EmulatorUsageError, emulatorOptionsFromArgs } from '@quickbooks-auth/intuit-emulator/cli-options';
import { ACCOUNTING, basic, CLIENT_ID, CLIENT_SECRET, Harness, http, REDIRECT_URI, start } from './emulator-harness';

/**
 * Issue 15 rule 2: sandbox and production as separate namespaces of one instance. Development
 * (sandbox) keys' tokens work on the sandbox API host only, production keys' on production only;
 * `/sandbox/…` and `/production/…` select the namespace, un-prefixed paths are the instance default.
 */
const PROD_ID = 'emu-prod-client';
const PROD_SECRET = 'emu-prod-secret';

type Env = 'sandbox' | 'production';

describe('Intuit emulator: sandbox and production namespaces (issue 15 rule 2)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(
      await start({
        clients: [
          { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] },
          { clientId: PROD_ID, clientSecret: PROD_SECRET, redirectUris: [REDIRECT_URI], environment: 'production' },
        ],
      }),
    );
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  const json = { accept: 'application/json' };
  const bearer = (token: string): Record<string, string> => ({ ...json, authorization: `Bearer ${token}` });
  const ns = (env: Env | null): string => (env ? `/${env}` : '');

  function companyInfo(env: Env | null, realmId: string, token: string): Promise<AxiosResponse> {
    return http.get(`${h.url}${ns(env)}/v3/company/${realmId}/companyinfo/${realmId}`, { headers: bearer(token) });
  }
  function query(env: Env | null, realmId: string, token: string): Promise<AxiosResponse> {
    return http.get(`${h.url}${ns(env)}/v3/company/${realmId}/query`, {
      params: { query: 'select * from CompanyInfo' },
      headers: bearer(token),
    });
  }
  function userinfo(env: Env | null, token: string): Promise<AxiosResponse> {
    return http.get(`${h.url}${ns(env)}/v1/openid_connect/userinfo`, { headers: bearer(token) });
  }
  async function mint(
    clientId: string,
    body: Record<string, unknown> = {},
  ): Promise<{ realmId: string; access_token: string; refresh_token: string }> {
    const res = await h.control('POST', '/connections', { clientId, scope: `${ACCOUNTING} openid email`, ...body });
    expect(res.status).toBe(200);
    return res.data.connections[0];
  }
  function tokenAs(id: string, secret: string, params: Record<string, string>): Promise<AxiosResponse> {
    return http.post(`${h.url}/oauth2/v1/tokens/bearer`, new URLSearchParams(params).toString(), {
      headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded', ...json },
    });
  }

  /** The answer Intuit gives a token its API host does not know. */
  function expectUnknownTokenFault(res: AxiosResponse): void {
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="Intuit", error="invalid_token"');
    expect(res.data.fault).toMatchObject({ type: 'AUTHENTICATION', error: [{ code: '3200', detail: 'Token invalid' }] });
  }
  function expectUserinfoRefused(res: AxiosResponse): void {
    expect(res.status).toBe(401);
    expect(res.data).toEqual({ error: 'invalid_token', error_description: 'Token unknown' });
  }

  describe('discovery', () => {
    it('the sandbox and production documents differ only in userinfo_endpoint, each in its own namespace', async () => {
      const sandbox = (await http.get(`${h.url}/.well-known/openid_sandbox_configuration`)).data;
      const production = (await http.get(`${h.url}/.well-known/openid_configuration`)).data;
      expect(sandbox.userinfo_endpoint).toBe(`${h.url}/sandbox/v1/openid_connect/userinfo`);
      expect(production.userinfo_endpoint).toBe(`${h.url}/production/v1/openid_connect/userinfo`);
      expect({ ...sandbox, userinfo_endpoint: null }).toEqual({ ...production, userinfo_endpoint: null });
      // Shared by both environments, as at Intuit.
      expect(production).toMatchObject({
        issuer: `${h.url}/op/v1`,
        jwks_uri: `${h.url}/op/v1/jwks`,
        authorization_endpoint: `${h.url}/connect/oauth2`,
        token_endpoint: `${h.url}/oauth2/v1/tokens/bearer`,
        revocation_endpoint: `${h.url}/v2/oauth2/tokens/revoke`,
      });

      // Each document's userinfo answers its own environment's tokens.
      const s = await mint(CLIENT_ID);
      const p = await mint(PROD_ID);
      expect((await http.get(sandbox.userinfo_endpoint, { headers: bearer(s.access_token) })).status).toBe(200);
      expect((await http.get(production.userinfo_endpoint, { headers: bearer(p.access_token) })).status).toBe(200);
      expectUserinfoRefused(await http.get(production.userinfo_endpoint, { headers: bearer(s.access_token) }));
    });
  });

  describe('a token works only in its own environment', () => {
    it('sandbox client: /sandbox and un-prefixed (default sandbox) paths work, /production answers 401', async () => {
      const c = await mint(CLIENT_ID);
      for (const env of ['sandbox', null] as const) {
        expect((await companyInfo(env, c.realmId, c.access_token)).status).toBe(200);
        const q = await query(env, c.realmId, c.access_token);
        expect(q.status).toBe(200);
        expect(q.data.QueryResponse.CompanyInfo[0].CompanyName).toBe(`Emulated Company ${c.realmId}`);
        expect((await userinfo(env, c.access_token)).data).toMatchObject({
          sub: expect.any(String),
          email: `owner-${c.realmId}@example.com`,
        });
      }
      expectUnknownTokenFault(await companyInfo('production', c.realmId, c.access_token));
      expectUnknownTokenFault(await query('production', c.realmId, c.access_token));
      expectUserinfoRefused(await userinfo('production', c.access_token));
    });

    it('production client: /production works, /sandbox and the un-prefixed (default sandbox) paths answer 401', async () => {
      const c = await mint(PROD_ID);
      expect((await companyInfo('production', c.realmId, c.access_token)).status).toBe(200);
      expect((await query('production', c.realmId, c.access_token)).status).toBe(200);
      expect((await userinfo('production', c.access_token)).status).toBe(200);
      for (const env of ['sandbox', null] as const) {
        expectUnknownTokenFault(await companyInfo(env, c.realmId, c.access_token));
        expectUnknownTokenFault(await query(env, c.realmId, c.access_token));
        expectUserinfoRefused(await userinfo(env, c.access_token));
      }
    });

    it('the environment is checked before the realm: a token of the other environment and another realm gets 3200, not 100', async () => {
      const s = await mint(CLIENT_ID);
      const p = await mint(PROD_ID);
      expectUnknownTokenFault(await companyInfo('production', p.realmId, s.access_token));
      const wrongRealm = await companyInfo('production', s.realmId, p.access_token);
      expect(wrongRealm.status).toBe(401);
      expect(wrongRealm.data.Fault).toMatchObject({ type: 'AuthenticationFault', Error: [{ code: '100' }] });
    });

    it('tokens from a consent and code exchange carry the client environment; refreshed tokens keep it', async () => {
      await h.control('POST', '/auto-approve', { enabled: true });
      const q = new URLSearchParams({
        client_id: PROD_ID,
        response_type: 'code',
        scope: ACCOUNTING,
        redirect_uri: REDIRECT_URI,
        state: 's',
      });
      const cb = new URL((await http.get(`${h.url}/connect/oauth2?${q}`)).headers.location as string);
      const realmId = cb.searchParams.get('realmId')!;
      const exchanged = await tokenAs(PROD_ID, PROD_SECRET, {
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
      });
      expect(exchanged.status).toBe(200);
      expect((await companyInfo('production', realmId, exchanged.data.access_token)).status).toBe(200);
      expectUnknownTokenFault(await companyInfo('sandbox', realmId, exchanged.data.access_token));

      const refreshed = await tokenAs(PROD_ID, PROD_SECRET, { grant_type: 'refresh_token', refresh_token: exchanged.data.refresh_token });
      expect(refreshed.status).toBe(200);
      expect((await companyInfo('production', realmId, refreshed.data.access_token)).status).toBe(200);
      expectUnknownTokenFault(await companyInfo(null, realmId, refreshed.data.access_token));
      expect(h.emu.state.realmSummary(realmId)).toMatchObject({ clientId: PROD_ID, environment: 'production' });
    });

    it('a prefix only applies to the QBO API and userinfo: /sandbox/oauth2/v1/tokens/bearer is 404', async () => {
      const res = await http.post(`${h.url}/sandbox/oauth2/v1/tokens/bearer`, 'grant_type=refresh_token', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(res.status).toBe(404);
      expect((await http.get(`${h.url}/staging/v1/openid_connect/userinfo`)).status).toBe(404);
    });
  });

  describe('realms are per environment', () => {
    it('a sandbox company is not a production realm: neither mint nor consent connects it to a production client', async () => {
      const s = await mint(CLIENT_ID, { realmId: '4620816365200000001' });
      expect(h.emu.state.realmSummary(s.realmId)).toMatchObject({ environment: 'sandbox', clientId: CLIENT_ID });

      const minted = await h.control('POST', '/connections', { clientId: PROD_ID, realmId: s.realmId });
      expect(minted.status).toBe(400);
      expect(minted.data.error_description).toMatch(/sandbox company/);

      await h.control('POST', '/auto-approve', { enabled: true, realmId: s.realmId });
      const q = new URLSearchParams({
        client_id: PROD_ID,
        response_type: 'code',
        scope: ACCOUNTING,
        redirect_uri: REDIRECT_URI,
        state: 's',
      });
      const consent = await http.get(`${h.url}/connect/oauth2?${q}`);
      expect(consent.status).toBe(400);
      expect(String(consent.data)).toContain('sandbox company');

      // The sandbox client may connect it again; a production realm is separate.
      expect((await h.control('POST', '/connections', { clientId: CLIENT_ID, realmId: s.realmId })).status).toBe(200);
      const p = await mint(PROD_ID, { realmId: '4620816365200000002' });
      expect(h.emu.state.realmSummary(p.realmId)).toMatchObject({ environment: 'production' });
      expect((await h.control('POST', '/connections', { clientId: CLIENT_ID, realmId: p.realmId })).data.error_description).toMatch(
        /production company/,
      );
    });
  });

  describe('the shared token and revoke endpoints', () => {
    it('refuses a refresh (and a revoke) by a client of the other environment: different client id', async () => {
      const s = await mint(CLIENT_ID);
      const cross = await tokenAs(PROD_ID, PROD_SECRET, { grant_type: 'refresh_token', refresh_token: s.refresh_token });
      expect(cross.status).toBe(400);
      expect(cross.data).toEqual({ error: 'invalid_grant' });
      const p = await mint(PROD_ID);
      expect((await tokenAs(CLIENT_ID, CLIENT_SECRET, { grant_type: 'refresh_token', refresh_token: p.refresh_token })).status).toBe(400);

      const revoke = await http.post(
        `${h.url}/v2/oauth2/tokens/revoke`,
        { token: s.refresh_token },
        { headers: { authorization: basic(PROD_ID, PROD_SECRET), ...json } },
      );
      expect(revoke.status).toBe(400);
      expect(h.emu.state.realmSummary(s.realmId)?.status).toBe('active');

      // The right client still refreshes, without any prefix: the client decides the namespace.
      const own = await tokenAs(CLIENT_ID, CLIENT_SECRET, { grant_type: 'refresh_token', refresh_token: s.refresh_token });
      expect(own.status).toBe(200);
      expect((await companyInfo('sandbox', s.realmId, own.data.access_token)).status).toBe(200);
    });
  });

  describe('configuration', () => {
    it('control API: POST /clients accepts and validates environment, GET /clients shows it', async () => {
      const added = await h.control('POST', '/clients', {
        clientId: 'p2',
        clientSecret: 'p2-secret',
        redirectUris: [REDIRECT_URI],
        environment: 'production',
      });
      expect(added.status).toBe(200);
      expect(added.data).toEqual({ clientId: 'p2', environment: 'production', registered: true });
      expect((await h.control('POST', '/clients', { clientId: 'd2', clientSecret: 'd2-secret', redirectUris: [] })).data.environment).toBe(
        'sandbox',
      );

      const bad = await h.control('POST', '/clients', { clientId: 'x', clientSecret: 'x', redirectUris: [], environment: 'staging' });
      expect(bad.status).toBe(400);
      expect(bad.data.error_description).toMatch(/environment/);

      const listed = (await h.control('GET', '/clients')).data.clients;
      expect(listed).toEqual(
        expect.arrayContaining([
          { clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], environment: 'sandbox' },
          { clientId: PROD_ID, redirectUris: [REDIRECT_URI], environment: 'production' },
          { clientId: 'p2', redirectUris: [REDIRECT_URI], environment: 'production' },
          { clientId: 'd2', redirectUris: [], environment: 'sandbox' },
        ]),
      );
      expect(listed.some((c: { clientId: string }) => c.clientId === 'x')).toBe(false);
    });

    it('CLI: --environment sandbox|production, anything else a usage error naming the option', () => {
      expect(emulatorOptionsFromArgs(['--environment', 'production', '--client-id', 'a', '--client-secret', 'b'], {})).toMatchObject({
        environment: 'production',
      });
      expect(emulatorOptionsFromArgs(['--environment', 'sandbox'], {})).toMatchObject({ environment: 'sandbox' });
      expect(emulatorOptionsFromArgs([], {})).not.toHaveProperty('environment');
      expect(() => emulatorOptionsFromArgs(['--environment', 'staging'], {})).toThrow(EmulatorUsageError);
      expect(() => emulatorOptionsFromArgs(['--environment', 'staging'], {})).toThrow(/--environment/);
      expect(() => emulatorOptionsFromArgs(['--environment'], {})).toThrow(/--environment/);
      expect(EMULATOR_USAGE).toContain('--environment sandbox|production');
    });

    it('startEmulator refuses an unknown environment', async () => {
      await expect(startEmulator({ environment: 'staging' as 'sandbox' })).rejects.toThrow(/environment/);
    });

    describe('an instance whose default environment is production', () => {
      let emu: RunningEmulator;
      beforeAll(async () => {
        emu = await startEmulator({
          environment: 'production',
          clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
        });
      });
      afterAll(() => emu.close());

      it('registers clients without an environment as production and serves production on un-prefixed paths', async () => {
        const [c] = emu.state.mint({ clientId: CLIENT_ID });
        expect(emu.state.realmSummary(c.realmId)?.environment).toBe('production');
        const at = (path: string): Promise<AxiosResponse> =>
          http.get(`${emu.url}${path}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, { headers: bearer(c.access_token) });
        expect((await at('')).status).toBe(200);
        expect((await at('/production')).status).toBe(200);
        expectUnknownTokenFault(await at('/sandbox'));
        expect((await http.get(`${emu.url}/v1/openid_connect/userinfo`, { headers: bearer(c.access_token) })).status).toBe(200);
        // The discovery documents still name both namespaces explicitly.
        expect((await http.get(`${emu.url}/.well-known/openid_sandbox_configuration`)).data.userinfo_endpoint).toBe(
          `${emu.url}/sandbox/v1/openid_connect/userinfo`,
        );
      });
    });
  });
});
