/**
 * Connect → refresh → call QBO → revoke, against the REAL Intuit sandbox when credentials are
 * given, and against the in-process emulator otherwise (same assertions either way).
 *
 * CI has no browser to click through Intuit's consent page, so the cycle starts from a refresh
 * token, as if the connect step had just stored it.
 *
 * Run it for real:
 *   1. In the Intuit developer portal, open your app's Development (sandbox) keys; note the
 *      client id/secret and add a redirect URI (any registered one works, e.g.
 *      https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl).
 *   2. In the OAuth 2.0 Playground (https://developer.intuit.com/app/developer/playground) pick
 *      that app, scope com.intuit.quickbooks.accounting, connect a sandbox company, and copy the
 *      refresh token and the realm id.
 *   3. QB_SANDBOX_CLIENT_ID=… QB_SANDBOX_CLIENT_SECRET=… QB_SANDBOX_REDIRECT_URI=… \
 *      QB_SANDBOX_REFRESH_TOKEN=… QB_SANDBOX_REALM_ID=… \
 *      npx jest --selectProjects integration -- test/sandbox
 *   The run ends by revoking the grant (that is what it tests), so get a new refresh token from
 *   the Playground before the next run. Nothing secret is printed.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  ConnectionNotFoundError,
  ConnectService,
  INTUIT_API_BASE_URLS,
  INTUIT_DISCOVERY_URLS,
  QUICKBOOKS_TOKEN_STORAGE,
  QuickBooksAuthModule,
  QuickBooksApiClient,
  TokenService,
  type QuickBooksAuthModuleOptions,
  type TokenStorage,
} from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { testKeyRing, testStateSecret } from '../support/test-keys';

const env = process.env;
const REAL = Boolean(
  env.QB_SANDBOX_CLIENT_ID &&
  env.QB_SANDBOX_CLIENT_SECRET &&
  env.QB_SANDBOX_REDIRECT_URI &&
  env.QB_SANDBOX_REFRESH_TOKEN &&
  env.QB_SANDBOX_REALM_ID,
);
const TENANT = 'sandbox-cycle';

interface Target {
  options: Pick<QuickBooksAuthModuleOptions, 'clientId' | 'clientSecret' | 'redirectUri' | 'intuitBaseUrl'>;
  discoveryUrl: string;
  apiBaseUrl: string;
  refreshToken: string;
  realmId: string;
  emulator: RunningEmulator | null;
}

async function target(): Promise<Target> {
  if (REAL) {
    return {
      options: {
        clientId: env.QB_SANDBOX_CLIENT_ID!,
        clientSecret: env.QB_SANDBOX_CLIENT_SECRET!,
        redirectUri: env.QB_SANDBOX_REDIRECT_URI!,
      },
      discoveryUrl: INTUIT_DISCOVERY_URLS.sandbox,
      apiBaseUrl: INTUIT_API_BASE_URLS.sandbox,
      refreshToken: env.QB_SANDBOX_REFRESH_TOKEN!,
      realmId: env.QB_SANDBOX_REALM_ID!,
      emulator: null,
    };
  }
  const client = {
    clientId: 'sandbox-cycle-client',
    clientSecret: 'sandbox-cycle-secret',
    redirectUri: 'http://localhost:3000/quickbooks/callback',
  };
  const emulator = await startEmulator({ clients: [{ ...client, redirectUris: [client.redirectUri] }] });
  const [minted] = emulator.state.mint({ count: 1 });
  return {
    options: { ...client, intuitBaseUrl: emulator.url },
    discoveryUrl: `${emulator.url}/.well-known/openid_configuration`,
    apiBaseUrl: emulator.url,
    refreshToken: minted.refresh_token,
    realmId: minted.realmId,
    emulator,
  };
}

describe(`connect-refresh-revoke cycle against ${REAL ? 'the REAL Intuit sandbox' : 'the emulator (set QB_SANDBOX_* for the real sandbox)'}`, () => {
  let t: Target;
  let app: INestApplication;
  let tokens: TokenService;
  let connect: ConnectService;
  let storage: TokenStorage;
  let qbo: QuickBooksApiClient;
  const ref = () => ({ tenantId: TENANT, realmId: t.realmId });

  beforeAll(async () => {
    t = await target();
    const moduleRef = await Test.createTestingModule({
      imports: [
        QuickBooksAuthModule.forRoot({
          ...t.options,
          environment: 'sandbox',
          encryptionKeys: testKeyRing('k1'),
          stateSecret: testStateSecret(),
          storage: { type: 'memory' },
          scheduler: { enabled: false },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    tokens = app.get(TokenService);
    connect = app.get(ConnectService);
    storage = app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE);
    qbo = app.get(QuickBooksApiClient);
  });

  afterAll(async () => {
    await app?.close();
    await t?.emulator?.close();
  });

  it('stores the connection as the connect step would (access token already expired)', async () => {
    const now = Date.now();
    await storage.saveConnection({
      ...ref(),
      environment: 'sandbox',
      scopes: ['com.intuit.quickbooks.accounting'],
      accessToken: 'expired-placeholder-access-token',
      refreshToken: t.refreshToken,
      accessTokenExpiresAt: new Date(now - 60_000),
      refreshTokenExpiresAt: new Date(now + 86_400_000),
      refreshTokenHardExpiresAt: null,
      nextRefreshAt: new Date(now - 60_000),
    });
    expect(await tokens.listConnections(TENANT)).toEqual([expect.objectContaining({ realmId: t.realmId, status: 'active' })]);
  });

  it('refreshes: a new access token valid for about an hour, and the refresh token kept durably', async () => {
    const token = await tokens.getAccessToken(ref());
    expect(token).not.toBe('expired-placeholder-access-token');
    const summary = await tokens.getConnection(ref());
    expect(summary.lastRefreshedAt).not.toBeNull();
    expect(summary.accessTokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(summary.refreshTokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    const stored = (await storage.get(ref()))!;
    expect(stored.accessToken).toBe(token);
    expect(stored.refreshToken.length).toBeGreaterThan(10);
  });

  it('calls the QBO companyinfo API with the token', async () => {
    expect(qbo.baseUrl).toBe(t.apiBaseUrl); // from the module's one base-URL setting
    const info = await qbo.getCompanyInfo(ref());
    expect(typeof info.CompanyName).toBe('string');
  });

  it('revokes at Intuit: the connection is gone and Intuit refuses the refresh token', async () => {
    const refreshToken = (await storage.get(ref()))!.refreshToken;
    expect(await connect.disconnect(ref())).toEqual({ revokedAtIntuit: true });
    await expect(tokens.getAccessToken(ref())).rejects.toBeInstanceOf(ConnectionNotFoundError);
    expect(await tokens.listConnections(TENANT)).toEqual([expect.objectContaining({ status: 'revoked' })]);
    // Straight to Intuit's token endpoint (from discovery): the revoked grant no longer refreshes.
    const discovery = (await (await fetch(t.discoveryUrl)).json()) as { token_endpoint: string };
    const res = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${t.options.clientId}:${t.options.clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error?: string }).error).toBe('invalid_grant');
  });
});
