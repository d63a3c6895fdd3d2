import { Agent, createServer } from 'node:http';
import { basic, CLIENT_ID, Harness, http, REDIRECT_URI, start } from './emulator-harness';

describe('Intuit emulator: control API', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(await start());
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  it('registers clients over HTTP', async () => {
    const reg = await h.control('POST', '/clients', {
      clientId: 'app2',
      clientSecret: 's2',
      redirectUris: ['https://app2.example.com/cb'],
    });
    expect(reg.status).toBe(200);
    const res = await http.get(
      `${h.url}/connect/oauth2?client_id=app2&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://app2.example.com/cb')}&state=s`,
    );
    expect(res.status).toBe(200);
    expect((await h.control('POST', '/clients', { clientId: 'x' })).status).toBe(400);
  });

  it('mints 10,000 connections quickly, each with unique realms and tokens', async () => {
    const t0 = Date.now();
    const res = await h.control('POST', '/connections', { clientId: CLIENT_ID, count: 10_000 });
    const elapsed = Date.now() - t0;
    expect(res.status).toBe(200);
    const connections = res.data.connections as Array<Record<string, any>>;
    expect(connections).toHaveLength(10_000);
    expect(new Set(connections.map((c) => c.realmId)).size).toBe(10_000);
    expect(new Set(connections.map((c) => c.refresh_token)).size).toBe(10_000);
    expect(connections[0]).toEqual({
      realmId: expect.stringMatching(/^\d{10,19}$/),
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^RT1-/),
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
      x_refresh_token_hard_expires_in: 157_680_000,
    });
    expect(elapsed).toBeLessThan(5000);
    // Minted tokens are real: refresh one.
    const refreshed = await h.refresh(connections[9_999].refresh_token);
    expect(refreshed.status).toBe(200);
  }, 30_000);

  it('mint validation: unknown client, bad count, realmId with count > 1', async () => {
    expect((await h.control('POST', '/connections', { clientId: 'ghost' })).status).toBe(400);
    expect((await h.control('POST', '/connections', { clientId: CLIENT_ID, count: 100_001 })).status).toBe(400);
    expect((await h.control('POST', '/connections', { clientId: CLIENT_ID, count: 2, realmId: '1234567890' })).status).toBe(400);
    const one = await h.mint({ realmId: '1234567890', scope: 'com.intuit.quickbooks.accounting openid' });
    expect(one.realmId).toBe('1234567890');
  });

  it('revoke-realm disconnects every grant of the realm', async () => {
    const c = await h.mint();
    const res = await h.control('POST', '/revoke-realm', { realmId: c.realmId });
    expect(res.data).toEqual({ realmId: c.realmId, revokedGrants: 1 });
    expect((await h.refresh(c.refresh_token)).data).toEqual({ error: 'invalid_grant' });
    const realm = (await h.control('GET', `/realms/${c.realmId}`)).data;
    expect(realm).toMatchObject({ status: 'revoked', revokedReason: expect.any(String) });
    expect((await h.control('GET', '/realms/42424242424')).status).toBe(404);
  });

  it('revoke-realm with disconnectUrl visits it as the browser would (GET ?realmId=, no redirect followed) and reports the status', async () => {
    const seen: Array<{ url: string; cookie: string | undefined; authorization: string | undefined }> = [];
    const app = createServer((req, res) => {
      seen.push({ url: req.url ?? '', cookie: req.headers.cookie, authorization: req.headers.authorization });
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (app.address() as { port: number }).port;
      const c = await h.mint();
      const res = await h.control('POST', '/revoke-realm', {
        realmId: c.realmId,
        disconnectUrl: `http://127.0.0.1:${port}/quickbooks/disconnected?from=qbo`,
      });
      expect(res.data).toEqual({ realmId: c.realmId, revokedGrants: 1, disconnectUrlStatus: 302 });
      expect(seen).toEqual([
        { url: `/quickbooks/disconnected?from=qbo&realmId=${c.realmId}`, cookie: undefined, authorization: undefined },
      ]);
      // Revoked before the visit: the app's check with Intuit sees invalid_grant.
      expect((await h.refresh(c.refresh_token)).data).toEqual({ error: 'invalid_grant' });
      expect((await h.control('POST', '/revoke-realm', { realmId: c.realmId, disconnectUrl: 'ftp://x' })).status).toBe(400);
      const unreachable = await h.control('POST', '/revoke-realm', { realmId: c.realmId, disconnectUrl: 'http://127.0.0.1:1/gone' });
      expect(unreachable.data).toMatchObject({ disconnectUrlStatus: 0 });
    } finally {
      await new Promise((r) => app.close(r));
    }
  });

  it('stats: counts by grant, realm and endpoint, tokens issued, fates; reset clears counters', async () => {
    const cb = await h.consent('approve');
    const code = await h.token({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT_URI });
    await h.refresh(code.data.refresh_token);
    await h.refresh('bogus');
    const stats = (await h.control('GET', '/stats')).data;
    expect(stats.calls.byGrant).toEqual({ authorization_code: 1, refresh_token: 2 });
    expect(stats.calls.byRealm[cb.searchParams.get('realmId')!]).toEqual({ authorization_code: 1, refresh_token: 1 });
    expect(stats.calls.byEndpoint).toMatchObject({ authorize: 2, token: 3 });
    expect(stats.tokensIssued).toEqual({ access: 2, refresh: 1 });
    expect(stats.invalidGrants).toBe(1);
    expect(stats.tokenFates).toEqual({ active: 1, superseded: 0, revoked: 0, expired: 0 });
    await h.control('POST', '/stats/reset');
    const after = (await h.control('GET', '/stats')).data;
    expect(after.calls.byGrant).toEqual({ authorization_code: 0, refresh_token: 0 });
    expect(after.tokenFates.active).toBe(1);
  });

  it('config: validates and applies', async () => {
    expect((await h.control('POST', '/config', { accessTokenTtlSeconds: -1 })).status).toBe(400);
    expect((await h.control('POST', '/config', { reuseDetection: 'yes' })).status).toBe(400);
    const res = await h.control('POST', '/config', { accessTokenTtlSeconds: 120, rateLimitPerMinute: 10 });
    expect(res.data).toMatchObject({ accessTokenTtlSeconds: 120, rateLimitPerMinute: 10 });
    expect((await h.mint()).x_refresh_token_expires_in).toBe(8_726_400);
  });

  it('reset wipes tokens, faults, clock and config back to the start options', async () => {
    const c = await h.mint();
    await h.advance(1000);
    await h.control('POST', '/faults', { endpoint: '*', type: 'status', status: 503 });
    await h.control('POST', '/config', { accessTokenTtlSeconds: 5 });
    await h.control('POST', '/auto-approve', { enabled: true });
    expect((await h.control('POST', '/reset')).status).toBe(200);
    expect((await h.control('GET', '/clock')).data.offsetMs).toBe(0);
    expect((await h.control('GET', '/config')).data.accessTokenTtlSeconds).toBe(3600);
    expect((await h.refresh(c.refresh_token)).data).toEqual({ error: 'invalid_grant' });
    expect((await http.get(h.authorizeUrl())).status).toBe(200);
    // The start-option client survives a reset.
    expect((await h.mint()).realmId).toMatch(/^\d+$/);
  });

  it('unknown control route: 404 JSON; malformed JSON: 400', async () => {
    expect((await h.control('GET', '/nope')).status).toBe(404);
    const bad = await http.post(`${h.url}/_emulator/config`, '{nope', { headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
  });

  it('the in-process state handle mirrors the control API', async () => {
    const { state } = h.emu;
    const [c] = state.mint({ count: 1 });
    state.clock.advance(25 * 3600);
    const res = await h.refresh(c.refresh_token);
    expect(res.data.refresh_token).not.toBe(c.refresh_token);
    expect(state.statsSnapshot().rotations).toBe(1);
    expect(state.realmSummary(c.realmId)?.rotations).toBe(1);
    state.faults.add({ endpoint: 'token', type: 'status', status: 503, count: 1 });
    expect((await h.refresh(res.data.refresh_token)).status).toBe(503);
  });

  it('handles a burst of 2,000 concurrent requests', async () => {
    const minted = (await h.control('POST', '/connections', { clientId: CLIENT_ID, count: 2000 })).data.connections as Array<{
      refresh_token: string;
    }>;
    // A pooled agent, as a real client would use: 2,000 in flight over 256 sockets.
    const httpAgent = new Agent({ keepAlive: true, maxSockets: 256 });
    try {
      const results = await Promise.all(
        minted.map((c) =>
          http.post(
            `${h.url}/oauth2/v1/tokens/bearer`,
            new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.refresh_token }).toString(),
            {
              httpAgent,
              headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
            },
          ),
        ),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(h.emu.state.statsSnapshot().calls.byGrant.refresh_token).toBe(2000);
    } finally {
      httpAgent.destroy();
    }
  }, 30_000);

  it('starts in well under a second and closes cleanly', async () => {
    const t0 = Date.now();
    const emu = await start({ port: 0 });
    expect(Date.now() - t0).toBeLessThan(500);
    const res = await http.get(`${emu.url}/_emulator/clock`);
    expect(res.status).toBe(200);
    await emu.close();
    await expect(http.get(`${emu.url}/_emulator/clock`)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNREFUSED|ECONNRESET/) });
  });
});
