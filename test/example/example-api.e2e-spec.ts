import { register } from 'prom-client';
import request from 'supertest';
import type { App } from 'supertest/types';
import { KEY_A, KEY_B, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

/**
 * The example app end to end over HTTP, in demo mode (SQLite, in-process emulator): caller
 * authentication, tenant isolation (I7), the connect flow, company-info with the 401 retry,
 * disconnect, error mapping, the page session, health and metrics, and a restart.
 */
describe('example app API (demo mode)', () => {
  const data = tempDataDir();
  let h: ExampleAppHandle;
  let http: () => ReturnType<typeof request>;
  const secrets: string[] = [];

  const api = () => request(h.app.getHttpServer() as App);

  /** connect → emulator (auto-approve) → callback, all with the caller's API key. Returns the callback query. */
  async function authorize(key: string): Promise<{ callbackPath: string; query: URLSearchParams }> {
    const connect = await api().get('/quickbooks/connect').set('x-api-key', key).expect(302);
    const authorizeUrl = new URL(connect.headers.location);
    expect(authorizeUrl.origin).toBe(h.emulator.url);
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${h.baseUrl}/quickbooks/callback`);
    h.emulator.state.setAutoApprove(true);
    const approved = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get('location')!);
    secrets.push(callback.searchParams.get('code')!, callback.searchParams.get('state')!);
    return { callbackPath: `${callback.pathname}${callback.search}`, query: callback.searchParams };
  }

  async function connect(key: string): Promise<string> {
    const { callbackPath } = await authorize(key);
    const res = await api().get(callbackPath).set('x-api-key', key).expect(200);
    expect(res.body.connection.status).toBe('active');
    return res.body.connection.realmId as string;
  }

  async function rememberTokens(tenantId: string, realmId: string): Promise<void> {
    const storage = h.app.get<{ get(ref: object): Promise<{ accessToken: string; refreshToken: string } | null> }>(
      'QUICKBOOKS_AUTH:TOKEN_STORAGE',
    );
    const c = await storage.get({ tenantId, realmId });
    if (c) secrets.push(c.accessToken, c.refreshToken);
  }

  beforeAll(async () => {
    h = await startExampleApp({ dataDir: data.dir });
    http = api;
    secrets.push(KEY_A, KEY_B, h.runtime.demo!.apiKey, h.runtime.cookieSecret, h.runtime.quickBooksOptions!.clientSecret);
  });

  afterAll(async () => {
    await h?.close();
    data.remove();
  });

  describe('caller authentication', () => {
    const protectedRoutes: Array<[string, string]> = [
      ['get', '/quickbooks/connect'],
      ['get', '/quickbooks/reconnect?realmId=1234567890'],
      ['get', '/quickbooks/callback?code=x&state=y&realmId=123'],
      ['get', '/quickbooks/connections'],
      ['get', '/quickbooks/connections/1234567890'],
      ['delete', '/quickbooks/connections/1234567890'],
      ['post', '/quickbooks/connections/1234567890/disconnect'],
      ['get', '/quickbooks/connections/1234567890/company-info'],
    ];

    it.each(protectedRoutes)('%s %s answers 401 without credentials', async (method, path) => {
      const res = await (http() as unknown as Record<string, (p: string) => request.Test>)[method](path).expect(401);
      expect(res.body.error).toBe('unauthorized');
    });

    it('refuses an unknown API key, even with a valid session cookie alongside', async () => {
      await api().get('/quickbooks/connections').set('x-api-key', 'not-a-real-key-000000').expect(401);
      await api().get('/quickbooks/connections').set('Authorization', 'Bearer not-a-real-key-000000').expect(401);
      await api().get('/quickbooks/connections').set('Authorization', 'Basic abc').expect(401);
    });

    it('accepts x-api-key and Authorization: Bearer', async () => {
      await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200, { connections: [] });
      await api().get('/quickbooks/connections').set('Authorization', `Bearer ${KEY_A}`).expect(200, { connections: [] });
    });

    it('ignores a tenant passed as a parameter: the tenant comes only from the key', async () => {
      const res = await api()
        .get('/quickbooks/connections?tenantId=tenant-b')
        .set('x-api-key', KEY_A)
        .set('x-tenant-id', 'tenant-b')
        .expect(200);
      expect(res.body.connections).toEqual([]);
    });
  });

  describe('connect, tenant isolation, company info, disconnect', () => {
    let realmA: string;

    it('connects through connect → Intuit consent → callback', async () => {
      realmA = await connect(KEY_A);
      await rememberTokens('tenant-a', realmA);
      const list = await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200);
      expect(list.body.connections).toHaveLength(1);
      expect(list.body.connections[0]).toMatchObject({ realmId: realmA, status: 'active', environment: 'sandbox' });
      expect(JSON.stringify(list.body)).not.toMatch(/accessToken"|refreshToken"|tenant-b/);
      const one = await api().get(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(200);
      expect(one.body.realmId).toBe(realmA);
    });

    it('tenant B sees none of tenant A and gets 404 on A’s realm everywhere', async () => {
      await api().get('/quickbooks/connections').set('x-api-key', KEY_B).expect(200, { connections: [] });
      await api().get(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_B).expect(404);
      await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_B).expect(404);
      const del = await api().delete(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_B).expect(404);
      expect(del.body).toEqual({ error: 'connection_not_found', message: 'No QuickBooks connection for this realm' });
      await api().post(`/quickbooks/connections/${realmA}/disconnect`).set('x-api-key', KEY_B).expect(404);
      // A's connection is untouched.
      await api().get(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(200);
      expect(h.emulator.state.realmSummary(realmA)!.status).toBe('active');
    });

    it('refuses a callback carrying a state issued to another tenant (400), and a replayed one', async () => {
      const { callbackPath, query } = await authorize(KEY_A);
      const stolen = await api().get(callbackPath).set('x-api-key', KEY_B).expect(400);
      expect(stolen.body.error).toBe('invalid_state');
      await api().get('/quickbooks/connections').set('x-api-key', KEY_B).expect(200, { connections: [] });
      // The refused attempt did not burn the rightful caller's state; a replay after use is refused.
      await api().get(callbackPath).set('x-api-key', KEY_A).expect(200);
      const replay = await api().get(callbackPath).set('x-api-key', KEY_A).expect(400);
      expect(replay.body.error).toBe('invalid_state');
      const extra = query.get('realmId')!;
      await rememberTokens('tenant-a', extra);
      await api().delete(`/quickbooks/connections/${extra}`).set('x-api-key', KEY_A).expect(200);
    });

    it('maps a declined consent to 403 and bad callback parameters to 400', async () => {
      const { query } = await authorize(KEY_A);
      const denied = await api()
        .get(`/quickbooks/callback?error=access_denied&state=${encodeURIComponent(query.get('state')!)}`)
        .set('x-api-key', KEY_A)
        .expect(403);
      expect(denied.body.error).toBe('authorization_denied');
      await api().get('/quickbooks/callback?code=abc&state=forged.state&realmId=123').set('x-api-key', KEY_A).expect(400);
      await api().get('/quickbooks/callback').set('x-api-key', KEY_A).expect(400);
    });

    it('calls the QBO companyinfo API with the connection’s token', async () => {
      const res = await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_A).expect(200);
      expect(res.body.realmId).toBe(realmA);
      expect(res.body.companyInfo.CompanyName).toContain(realmA);
    });

    it('retries once after a forced 401 from QBO, with a refreshed token', async () => {
      const before = h.emulator.state.statsSnapshot().calls.byRealm[realmA]?.refresh_token ?? 0;
      h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 401, count: 1 });
      const res = await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_A).expect(200);
      expect(res.body.companyInfo.CompanyName).toContain(realmA);
      expect((h.emulator.state.statsSnapshot().calls.byRealm[realmA]?.refresh_token ?? 0) - before).toBe(1);
      const after = await api().get(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(200);
      expect(after.body.lastRefreshedAt).not.toBeNull();
      await rememberTokens('tenant-a', realmA);
    });

    it('maps QBO failures without leaking upstream bodies: 503, 429', async () => {
      h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 503, count: 1 });
      const down = await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_A).expect(503);
      expect(down.body.error).toBe('quickbooks_unavailable');
      h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'rate_limit', retryAfter: 30, count: 1 });
      const throttled = await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_A).expect(429);
      expect(throttled.headers['retry-after']).toBe('30');
    });

    it('answers 409 with the reconnect URL once Intuit no longer accepts the grant', async () => {
      const realm = await connect(KEY_B);
      h.emulator.state.revokeRealm(realm); // the customer disconnected the app inside QuickBooks
      const res = await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_B).expect(409);
      expect(res.body).toMatchObject({
        error: 'reauthorization_required',
        realmId: realm,
        reconnectUrl: `${h.baseUrl}/quickbooks/reconnect?realmId=${realm}`,
      });
      const list = await api().get('/quickbooks/connections').set('x-api-key', KEY_B).expect(200);
      expect(list.body.connections[0]).toMatchObject({ realmId: realm, status: 'needs_reauth' });
    });

    it('404s malformed realm ids', async () => {
      await api().get('/quickbooks/connections/not-a-realm').set('x-api-key', KEY_A).expect(404);
      await api().get('/quickbooks/connections/12%2F34/company-info').set('x-api-key', KEY_A).expect(404);
    });

    it('disconnects: revokes at Intuit, the connection disappears, a second disconnect is 404', async () => {
      const res = await api().delete(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(200);
      expect(res.body).toEqual({ realmId: realmA, disconnected: true, revokedAtIntuit: true, revokePending: false });
      expect(h.emulator.state.realmSummary(realmA)!.status).toBe('revoked');
      await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200, { connections: [] });
      await api().get(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(404);
      await api().delete(`/quickbooks/connections/${realmA}`).set('x-api-key', KEY_A).expect(404);
      await api().get(`/quickbooks/connections/${realmA}/company-info`).set('x-api-key', KEY_A).expect(404);
    });
  });

  describe('page session', () => {
    const cookieOf = (res: request.Response): string => {
      const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      return set[0].split(';')[0];
    };

    it('shows the login form, refuses a bad key, and logs in with a signed HttpOnly SameSite=Lax cookie', async () => {
      const login = await api().get('/').expect(200);
      expect(login.text).toContain('name="apiKey"');
      const bad = await api().post('/login').type('form').send({ apiKey: 'wrong-key-000000000' }).expect(303);
      expect(bad.headers.location).toBe('/?error=invalid_api_key');
      expect(bad.headers['set-cookie']).toBeUndefined();
      const ok = await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303);
      const setCookie = String(ok.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      expect(setCookie).not.toContain(KEY_A);
      const page = await api().get('/').set('Cookie', cookieOf(ok)).expect(200);
      expect(page.text).toContain('tenant-a');
      expect(page.text).toContain('id="connect"');
      await api().get('/quickbooks/connections').set('Cookie', cookieOf(ok)).expect(200);
    });

    it('rejects a tampered cookie', async () => {
      const ok = await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303);
      const [name, value] = cookieOf(ok).split('=');
      const [body, mac] = value.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), kid: 'x' })).toString(
        'base64url',
      );
      await api().get('/quickbooks/connections').set('Cookie', `${name}=${forged}.${mac}`).expect(401);
      const page = await api().get('/').set('Cookie', `${name}=${forged}.${mac}`).expect(200);
      expect(page.text).toContain('name="apiKey"');
    });

    it('connects and disconnects through the page’s routes, with CSRF protection on the form', async () => {
      const ok = await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303);
      const cookie = cookieOf(ok);
      const connect = await api().get('/quickbooks/connect').set('Cookie', cookie).expect(302);
      h.emulator.state.setAutoApprove(true);
      const approved = await fetch(connect.headers.location, { redirect: 'manual' });
      const cb = new URL(approved.headers.get('location')!);
      // A browser without the session that started the flow is refused.
      const other = cookieOf(await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303));
      const wrongSession = await api().get(`${cb.pathname}${cb.search}`).set('Cookie', other).set('Accept', 'text/html').expect(303);
      expect(wrongSession.headers.location).toBe('/?error=invalid_state');
      const connect2 = await api().get('/quickbooks/connect').set('Cookie', cookie).expect(302);
      const cb2 = new URL((await fetch(connect2.headers.location, { redirect: 'manual' })).headers.get('location')!);
      const back = await api().get(`${cb2.pathname}${cb2.search}`).set('Cookie', cookie).set('Accept', 'text/html').expect(303);
      const realm = cb2.searchParams.get('realmId')!;
      expect(back.headers.location).toBe(`/?connected=${realm}`);
      const page = await api().get('/').set('Cookie', cookie).expect(200);
      expect(page.text).toContain(`data-realm-id="${realm}"`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
      await api()
        .post(`/quickbooks/connections/${realm}/disconnect`)
        .set('Cookie', cookie)
        .type('form')
        .send({ csrf: 'forged' })
        .expect(403);
      const done = await api()
        .post(`/quickbooks/connections/${realm}/disconnect`)
        .set('Cookie', cookie)
        .type('form')
        .send({ csrf })
        .expect(303);
      expect(done.headers.location).toBe(`/?disconnected=${realm}`);
      const after = await api().get('/').set('Cookie', cookie).expect(200);
      expect(after.text).not.toContain(`data-realm-id="${realm}"`);
    });

    it('only shows known messages from the query string', async () => {
      const page = await api().get('/?error=<script>alert(1)</script>&connected=<b>x</b>').expect(200);
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).not.toContain('<b>x</b>');
    });
  });

  describe('operations', () => {
    it('GET /health/quickbooks is 200 and up', async () => {
      const res = await api().get('/health/quickbooks').expect(200);
      expect(res.body.status).toBe('ok');
      expect(JSON.stringify(res.body)).not.toMatch(/token"\s*:\s*"ey/);
    });

    it('GET /metrics serves Prometheus text with the module’s quickbooks_ metrics', async () => {
      const res = await api().get('/metrics').expect(200);
      expect(res.text).toMatch(/^# HELP /m);
      expect(res.text).toMatch(/^quickbooks_\w+/m);
    });

    it('logged nothing secret: no key, token, code, state or client secret (I5)', () => {
      const all = h.logs.join('\n');
      expect(h.logs.length).toBeGreaterThan(10);
      expect(all).toContain('/quickbooks/callback?code=[Redacted]&state=[Redacted]');
      for (const s of secrets.filter((x) => x && x.length >= 8)) expect(all).not.toContain(s);
    });
  });

  it('keeps connections across a restart (same data dir: SQLite and demo secrets)', async () => {
    const realm = await connect(KEY_A);
    const port = h.runtime.port;
    await h.close();
    // prom-client's registry is process-global; a real restart is a new process.
    register.clear();
    h = await startExampleApp({ dataDir: data.dir, port });
    const list = await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200);
    expect(list.body.connections.map((c: { realmId: string }) => c.realmId)).toContain(realm);
    // The restarted emulator got the stored grant back, so the stored tokens still work.
    const info = await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_A).expect(200);
    expect(info.body.companyInfo.CompanyName).toContain(realm);
  });
});
