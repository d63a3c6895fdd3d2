import OAuthClient from 'intuit-oauth';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { CLIENT_ID, CLIENT_SECRET, Harness, http, REDIRECT_URI, start } from './emulator-harness';

/** The app's production keys: another client id and secret than its development (sandbox) keys. */
const PRODUCTION_KEYS = { clientId: 'emu-prod-client', clientSecret: 'emu-prod-secret' };

/**
 * Intuit's own Node client (intuit-oauth 4.x) driven end to end against the emulator: the
 * strongest evidence that paths, auth, bodies and error shapes match what Intuit serves.
 */
describe.each(['sandbox', 'production'] as const)('Intuit emulator: driven by intuit-oauth (%s)', (environment) => {
  // One emulator serves both environments (issue 15 rule 2): each run uses that environment's keys
  // and intuit-oauth's userinfo and QBO API base URLs point at its namespace.
  const keys = environment === 'sandbox' ? { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } : PRODUCTION_KEYS;
  const other = environment === 'sandbox' ? 'production' : 'sandbox';
  // intuit-oauth keeps endpoints in static fields: save and restore so other suites are unaffected.
  const saved = {
    authorizeEndpoint: OAuthClient.authorizeEndpoint,
    tokenEndpoint: OAuthClient.tokenEndpoint,
    revokeEndpoint: OAuthClient.revokeEndpoint,
    userinfo_endpoint_sandbox: OAuthClient.userinfo_endpoint_sandbox,
    userinfo_endpoint_production: OAuthClient.userinfo_endpoint_production,
    jwks_uri: OAuthClient.jwks_uri,
    environment: OAuthClient.environment,
  };
  let emu: RunningEmulator;
  let h: Harness;

  beforeAll(async () => {
    // intuit-oauth's validateIdToken insists on Intuit's real issuer string: Intuit-compatible mode.
    emu = await start({
      intuitCompatible: true,
      clients: [
        { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI], environment: 'sandbox' },
        { ...PRODUCTION_KEYS, redirectUris: [REDIRECT_URI], environment: 'production' },
      ],
    });
    h = new Harness(emu);
  });
  afterAll(async () => {
    Object.assign(OAuthClient, saved);
    await emu.close();
  });
  beforeEach(() => emu.state.reset());

  function client(): OAuthClient {
    const c = new OAuthClient({ ...keys, environment, redirectUri: REDIRECT_URI, includeRefreshTokenHardExpiresIn: true });
    c.setAuthorizeURLs({
      authorizeEndpoint: `${emu.url}/connect/oauth2`,
      tokenEndpoint: `${emu.url}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${emu.url}/v2/oauth2/tokens/revoke`,
      userInfoEndpoint: `${emu.url}/${environment}/v1/openid_connect/userinfo`,
    });
    OAuthClient.jwks_uri = `${emu.url}/op/v1/jwks`;
    // Intuit's two QBO API hosts, here the emulator's two namespaces (makeApiCall's relative URLs).
    OAuthClient.environment = { sandbox: `${emu.url}/sandbox/`, production: `${emu.url}/production/` };
    return c;
  }

  /** Follows the consent page like a browser: GET the authorize URL, POST "Approve". */
  async function approveInBrowser(authUri: string, realmId?: string): Promise<string> {
    const page = await http.get(authUri);
    expect(page.status).toBe(200);
    const fields: Record<string, string> = { decision: 'approve' };
    for (const m of String(page.data).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[m[1]] = m[2].replace(/&amp;/g, '&');
    if (realmId) fields.realmId = realmId;
    const res = await http.post(`${emu.url}/connect/oauth2/decision`, new URLSearchParams(fields).toString(), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(302);
    return res.headers.location as string;
  }

  it('authorize -> consent -> createToken -> refresh -> rotation -> stale RT fails -> userinfo -> revoke', async () => {
    const oauth = client();
    const authUri = oauth.authorizeUri({
      scope: [OAuthClient.scopes.Accounting, OAuthClient.scopes.OpenId, OAuthClient.scopes.Email],
      state: 'intuit-state',
    });
    expect(authUri.startsWith(`${emu.url}/connect/oauth2?`)).toBe(true);

    const callback = await approveInBrowser(authUri, '4620816365212345678');
    const created = await oauth.createToken(callback);
    const first = created.getJson();
    expect(first).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
      x_refresh_token_hard_expires_in: 157_680_000,
    });
    expect(oauth.getToken().realmId).toBe('4620816365212345678');
    expect(oauth.getToken().state).toBe('intuit-state');
    expect(created.headers().intuit_tid).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    await expect(oauth.validateIdToken()).resolves.toBe(true);

    // The token works on its environment's API host only; the other one does not know it.
    const realm = '4620816365212345678';
    const info0 = await oauth.makeApiCall({ url: `v3/company/${realm}/companyinfo/${realm}` });
    expect(info0.json.CompanyInfo.CompanyName).toBe(`Emulated Company ${realm}`);
    await expect(oauth.makeApiCall({ url: `${emu.url}/${other}/v3/company/${realm}/companyinfo/${realm}` })).rejects.toMatchObject({
      code: '401',
    });
    expect(
      (await http.get(`${emu.url}/${other}/v1/openid_connect/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } }))
        .status,
    ).toBe(401);

    // Within 24 h: same refresh token.
    const refreshed = (await oauth.refresh()).getJson();
    expect(refreshed.refresh_token).toBe(first.refresh_token);
    expect(refreshed.access_token).not.toBe(first.access_token);

    // 25 h later: rotation.
    await h.advance(25 * 3600);
    const rotated = (await oauth.refresh()).getJson();
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect(oauth.getToken().refresh_token).toBe(rotated.refresh_token);

    // The superseded token is dead, and intuit-oauth surfaces invalid_grant.
    await expect(oauth.refreshUsingToken(first.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(emu.state.statsSnapshot().supersededRefreshTokenUses).toBe(1);

    // The stale attempt did not replace the client's good token.
    oauth.setToken({ ...rotated, realmId: '4620816365212345678' });
    const info = (await oauth.getUserInfo()).getJson();
    expect(info).toMatchObject({ sub: expect.any(String), email: expect.any(String), emailVerified: true });

    const revoked = await oauth.revoke();
    expect(revoked.status()).toBe(200);
    expect(emu.state.realmSummary('4620816365212345678')?.status).toBe('revoked');

    // After revoke: userinfo with the (still unexpired) access token is refused.
    oauth.setToken({ ...rotated });
    await expect(oauth.getUserInfo()).rejects.toBeDefined();
    await expect(oauth.refreshUsingToken(rotated.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('auto-approve: the authorize URL redirects straight to the callback', async () => {
    await h.control('POST', '/auto-approve', { enabled: true });
    const oauth = client();
    const res = await http.get(oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's1' }));
    expect(res.status).toBe(302);
    const response = await oauth.createToken(res.headers.location as string);
    expect(response.getJson().refresh_token).toMatch(/^RT1-/);
    expect(oauth.getToken().realmId).toMatch(/^\d{10,19}$/);
  });

  it('wrong client secret: intuit-oauth reports the 401', async () => {
    await h.control('POST', '/auto-approve', { enabled: true });
    const oauth = client();
    const res = await http.get(oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 's1' }));
    const bad = new OAuthClient({ clientId: keys.clientId, clientSecret: 'wrong', environment, redirectUri: REDIRECT_URI });
    await expect(bad.createToken(res.headers.location as string)).rejects.toBeDefined();
  });
});
