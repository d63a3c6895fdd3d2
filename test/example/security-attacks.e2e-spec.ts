import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import type { App } from 'supertest/types';
import { MAX_CREDENTIAL_FAILURES } from '../../apps/example/src/auth/credential-failure-limiter';
import { resolveRuntime } from '../../apps/example/src/runtime/resolve-runtime';
import { rawRequest, ResponseRecorder } from './attack-client';
import { KEY_A, KEY_B, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

const EVIL = 'https://evil.example';

/**
 * Issue 14's attack list replayed against the example app in demo mode (SQLite, the in-process
 * emulator over real HTTP, two API-key tenants): open redirects, cross-site login and forms,
 * session reuse after logout, code and realm injection, a bad code, tampered and foreign-key rows,
 * body-parser abuse, credential guessing, emulator control-API CSRF, and the hardening headers.
 * Every response the server sends is recorded: none may be a 5xx except while an upstream fault
 * is injected on purpose.
 */
describe('example app under attack (issue 14)', () => {
  const data = tempDataDir();
  const recorder = new ResponseRecorder();
  let h: ExampleAppHandle;
  let port: number;
  /** A distinct client IP per scenario (trusted X-Forwarded-For from loopback), so the failure limit of one never blocks another. */
  let ipCounter = 0;
  const nextIp = () => `198.51.100.${++ipCounter}`;
  const api = () => request(h.app.getHttpServer() as App);
  const sqlitePath = () => join(h.dataDir, 'quickbooks.sqlite');

  beforeAll(async () => {
    h = await startExampleApp({ dataDir: data.dir, env: { EXAMPLE_TRUST_PROXY: 'loopback' } });
    port = h.runtime.port;
    recorder.attach(h.app.getHttpServer() as Server);
  });

  afterAll(async () => {
    await h?.close();
    data.remove();
  });

  const cookieOf = (res: { headers: Record<string, unknown> }): string =>
    String(([] as string[]).concat((res.headers['set-cookie'] as string[]) ?? [])[0] ?? '').split(';')[0];

  async function login(key: string): Promise<string> {
    const res = await api()
      .post('/login')
      .set('Origin', h.baseUrl)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ apiKey: key })
      .expect(303);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^qbx_session=/);
    return cookie;
  }

  /** connect (API key or cookie) → emulator consent (auto-approved) → the callback URL Intuit would send, unredeemed. */
  async function authorize(auth: { key?: string; cookie?: string }, returnTo?: string, realmId?: string): Promise<URL> {
    const path = returnTo === undefined ? '/quickbooks/connect' : `/quickbooks/connect?returnTo=${encodeURIComponent(returnTo)}`;
    let req = api().get(path);
    if (auth.key) req = req.set('x-api-key', auth.key);
    if (auth.cookie) req = req.set('Cookie', auth.cookie);
    const connect = await req.expect(302);
    h.emulator.state.setAutoApprove(true, realmId);
    const approved = await fetch(connect.headers.location, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    return new URL(approved.headers.get('location')!);
  }

  const pathOf = (u: URL) => `${u.pathname}${u.search}`;

  async function connect(key: string, realmId?: string): Promise<string> {
    const cb = await authorize({ key }, undefined, realmId);
    const res = await api().get(pathOf(cb)).set('x-api-key', key).expect(200);
    return res.body.connection.realmId as string;
  }

  describe('open redirect through returnTo (finding 1)', () => {
    const hostile = [
      '/.//evil.example/x',
      '/..//evil.example',
      '/%2e//evil.example',
      '/%2E%2E//evil.example',
      '//evil.example',
      '/\\evil.example',
      '/%5cevil.example',
      '/%2f%2fevil.example',
      `${EVIL}/x`,
      '/\t/evil.example',
    ];

    it.each(hostile)('returnTo=%j comes back to / on this origin after consent', async (returnTo) => {
      const cookie = await login(KEY_A);
      const cb = await authorize({ cookie }, returnTo);
      const back = await api().get(pathOf(cb)).set('Cookie', cookie).set('Accept', 'text/html').expect(303);
      const location = back.headers.location as string;
      expect(location).toBe(`/?connected=${cb.searchParams.get('realmId')}`);
      expect(new URL(location, h.baseUrl).origin).toBe(h.baseUrl);
    });

    it('keeps a genuine same-origin returnTo', async () => {
      const cookie = await login(KEY_A);
      const cb = await authorize({ cookie }, '/?tab=companies');
      const back = await api().get(pathOf(cb)).set('Cookie', cookie).set('Accept', 'text/html').expect(303);
      expect(back.headers.location).toBe(`/?tab=companies&connected=${cb.searchParams.get('realmId')}`);
    });
  });

  describe('cross-site requests (findings 2, 12)', () => {
    const crossSite: Array<[string, Record<string, string>]> = [
      ['Origin of another site', { Origin: EVIL }],
      ['Origin null (sandboxed frame, data: URL)', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
      ['same-origin Sec-Fetch-Site but a foreign Origin', { Origin: EVIL, 'Sec-Fetch-Site': 'same-origin' }],
    ];

    it.each(crossSite)('POST /login with %s is 403 and sets no cookie', async (_name, headers) => {
      const res = await api().post('/login').set(headers).type('form').send({ apiKey: KEY_A }).expect(403);
      expect(res.body.error).toBe('cross_site_request');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('the same login from this origin, or from a non-browser client, works', async () => {
      await login(KEY_A);
      const cli = await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303);
      expect(cookieOf(cli)).toMatch(/^qbx_session=/);
    });

    it('refuses cookie-authenticated cross-site disconnects (form and DELETE) and logout; the connection stays', async () => {
      const realm = await connect(KEY_A);
      const cookie = await login(KEY_A);
      const page = await api().get('/').set('Cookie', cookie).expect(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
      await api()
        .post(`/quickbooks/connections/${realm}/disconnect`)
        .set('Cookie', cookie)
        .set('Origin', EVIL)
        .type('form')
        .send({ csrf })
        .expect(403);
      await api().delete(`/quickbooks/connections/${realm}`).set('Cookie', cookie).set('Sec-Fetch-Site', 'cross-site').expect(403);
      await api().post('/logout').set('Cookie', cookie).set('Origin', EVIL).type('form').send({ csrf }).expect(403);
      await api().get(`/quickbooks/connections/${realm}`).set('Cookie', cookie).expect(200);
      expect(h.emulator.state.realmSummary(realm)!.status).toBe('active');
      // Same origin, with the form's token: done.
      await api()
        .post(`/quickbooks/connections/${realm}/disconnect`)
        .set('Cookie', cookie)
        .set('Origin', h.baseUrl)
        .type('form')
        .send({ csrf })
        .expect(303);
    });

    it('API-key callers are exempt (a cross-site page cannot set x-api-key)', async () => {
      const realm = await connect(KEY_A);
      const res = await api().delete(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_A).set('Origin', EVIL).expect(200);
      expect(res.body).toMatchObject({ realmId: realm, disconnected: true, revokedAtIntuit: true, revokePending: false });
    });
  });

  describe('logout (finding 10)', () => {
    it('revokes the session server-side: the old cookie no longer works anywhere', async () => {
      const cookie = await login(KEY_B);
      await api().get('/quickbooks/connections').set('Cookie', cookie).expect(200);
      const page = await api().get('/').set('Cookie', cookie).expect(200);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
      const out = await api().post('/logout').set('Cookie', cookie).set('Origin', h.baseUrl).type('form').send({ csrf }).expect(303);
      expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
      // The attacker kept a copy of the cookie: it is dead.
      await api().get('/quickbooks/connections').set('Cookie', cookie).expect(401);
      await api().get('/quickbooks/connect').set('Cookie', cookie).expect(401);
      const again = await api().get('/').set('Cookie', cookie).expect(200);
      expect(again.text).toContain('name="apiKey"');
    });

    it('a logout without the form token revokes nothing', async () => {
      const cookie = await login(KEY_B);
      await api().post('/logout').set('Cookie', cookie).set('Origin', h.baseUrl).type('form').send({ csrf: 'forged' }).expect(303);
      await api().get('/quickbooks/connections').set('Cookie', cookie).expect(200);
    });
  });

  describe('code and realm injection, bad codes (findings 3, 12)', () => {
    it('a victim’s code pasted into the attacker’s own valid callback is refused and nothing is stored', async () => {
      const victim = await authorize({ key: KEY_B });
      const attacker = await authorize({ key: KEY_A });
      const forged = new URL(attacker);
      forged.searchParams.set('code', victim.searchParams.get('code')!);
      forged.searchParams.set('realmId', victim.searchParams.get('realmId')!);
      const res = await api().get(pathOf(forged)).set('x-api-key', KEY_A).expect(400);
      expect(res.body.error).toBe('invalid_callback');
      const list = await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200);
      expect(list.body.connections.map((c: { realmId: string }) => c.realmId)).not.toContain(victim.searchParams.get('realmId'));
    });

    it('a callback with realmId rewritten is refused', async () => {
      const cb = await authorize({ key: KEY_A });
      const other = '9130000000777777';
      cb.searchParams.set('realmId', other);
      const res = await api().get(pathOf(cb)).set('x-api-key', KEY_A).expect(400);
      expect(res.body.error).toBe('invalid_callback');
      await api().get(`/quickbooks/connections/${other}`).set('x-api-key', KEY_A).expect(404);
    });

    it('a made-up or replayed code is 400 invalid_code (Intuit: invalid_grant), not 502', async () => {
      const cb = await authorize({ key: KEY_A });
      cb.searchParams.set('code', 'AB11-not-a-code-issued-by-intuit');
      const res = await api().get(pathOf(cb)).set('x-api-key', KEY_A).expect(400);
      expect(res.body.error).toBe('invalid_code');
      const browser = await login(KEY_A);
      const cb2 = await authorize({ cookie: browser });
      cb2.searchParams.set('code', 'AB11-also-not-a-code');
      const page = await api().get(pathOf(cb2)).set('Cookie', browser).set('Accept', 'text/html').expect(303);
      expect(page.headers.location).toBe('/?error=invalid_code');
    });

    it('another tenant’s state, and another tenant’s realm, stay out of reach', async () => {
      const realm = await connect(KEY_A);
      const cb = await authorize({ key: KEY_A });
      expect((await api().get(pathOf(cb)).set('x-api-key', KEY_B).expect(400)).body.error).toBe('invalid_state');
      await api().get(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_B).expect(404);
      await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_B).expect(404);
      await api().delete(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_B).expect(404);
      await api().get(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_A).expect(200);
    });
  });

  describe('tampered and foreign-key rows (finding 4)', () => {
    /** Rewrites one row's sealed access token directly in the SQLite file, as someone with write access to the database could. */
    function rewriteAccessToken(tenantId: string, realmId: string, change: (sealed: string) => string): void {
      const db = new Database(sqlitePath());
      try {
        const row = db
          .prepare('SELECT access_token_enc AS v FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?')
          .get(tenantId, realmId) as { v: string };
        db.prepare('UPDATE quickbooks_connections SET access_token_enc = ? WHERE tenant_id = ? AND realm_id = ?').run(
          change(row.v),
          tenantId,
          realmId,
        );
      } finally {
        db.close();
      }
    }
    const sealedOf = (tenantId: string, realmId: string): string => {
      const db = new Database(sqlitePath(), { readonly: true });
      try {
        return (
          db
            .prepare('SELECT access_token_enc AS v FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?')
            .get(tenantId, realmId) as { v: string }
        ).v;
      } finally {
        db.close();
      }
    };

    const tampers: Array<[string, (realm: string) => (sealed: string) => string]> = [
      ['one ciphertext byte flipped', () => (s) => `${s.slice(0, -3)}${s.at(-3) === 'A' ? 'B' : 'A'}${s.slice(-2)}`],
      ['sealed under a key not in the ring (a removed key)', () => (s) => s.replace(/^v1:[^:]+:/, 'v1:removed2025:')],
      ['another tenant’s ciphertext copied in', (realm) => () => sealedOf('tenant-b', realm)],
    ];

    it.each(tampers)(
      '%s: listed as undecryptable, 409 on use, recoverable by disconnect; other connections unaffected',
      async (_name, tamper) => {
        const bRealm = await connect(KEY_B);
        const bad = await connect(KEY_A);
        const good = await connect(KEY_A);
        rewriteAccessToken('tenant-a', bad, tamper(bRealm));
        const list = await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200);
        const byRealm = Object.fromEntries(
          list.body.connections.map((c: { realmId: string; undecryptable: boolean }) => [c.realmId, c.undecryptable]),
        );
        expect(byRealm).toMatchObject({ [bad]: true, [good]: false });
        expect((await api().get(`/quickbooks/connections/${bad}/company-info`).set('x-api-key', KEY_A).expect(409)).body.error).toBe(
          'connection_undecryptable',
        );
        await api().get(`/quickbooks/connections/${good}/company-info`).set('x-api-key', KEY_A).expect(200);
        const page = await api()
          .get('/')
          .set('Cookie', await login(KEY_A))
          .expect(200);
        expect(page.text).toContain('Unreadable');
        expect((await api().delete(`/quickbooks/connections/${bad}`).set('x-api-key', KEY_A).expect(200)).body).toMatchObject({
          disconnected: true,
          revokedAtIntuit: false,
        });
        await api().get(`/quickbooks/connections/${bad}`).set('x-api-key', KEY_A).expect(404);
      },
    );
  });

  describe('body-parser abuse (finding 5)', () => {
    const big = 5 * 1024 * 1024;
    const deepJson = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const cases: Array<[string, number, Record<string, string>, Buffer | string]> = [
      ['5 MB JSON', 413, { 'content-type': 'application/json' }, JSON.stringify({ apiKey: 'x'.repeat(big) })],
      ['5 MB form', 413, { 'content-type': 'application/x-www-form-urlencoded' }, `apiKey=${'x'.repeat(big)}`],
      [
        'a gzip bomb (5 MB once inflated)',
        413,
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync(JSON.stringify({ apiKey: 'x'.repeat(big) })),
      ],
      ['an unknown charset', 415, { 'content-type': 'application/json; charset=x-klingon' }, '{"apiKey":"x"}'],
      ['an unknown form charset', 415, { 'content-type': 'application/x-www-form-urlencoded; charset=x-klingon' }, 'apiKey=x'],
      ['an unsupported Content-Encoding', 415, { 'content-type': 'application/json', 'content-encoding': 'compress' }, '{"apiKey":"x"}'],
      ['corrupt gzip', 400, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from('this is not gzip at all')],
      [
        'corrupt brotli',
        400,
        { 'content-type': 'application/json', 'content-encoding': 'br' },
        Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12, 0x34]),
      ],
      [
        'truncated gzip',
        400,
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync('{"apiKey":"x"}').subarray(0, 12),
      ],
      ['deeply nested JSON', 400, { 'content-type': 'application/json' }, deepJson],
      ['malformed JSON', 400, { 'content-type': 'application/json' }, '{"apiKey": '],
      [
        'a form with too many fields',
        413,
        { 'content-type': 'application/x-www-form-urlencoded' },
        Array.from({ length: 500 }, (_, i) => `f${i}=1`).join('&'),
      ],
    ];

    it.each(cases)('POST /login with %s answers %i', async (_name, status, headers, body) => {
      const res = await rawRequest(port, 'POST', '/login', { ...headers, host: `localhost:${port}`, 'x-forwarded-for': nextIp() }, body);
      expect(res.status).toBe(status);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('the same abuse on an API-key route answers 4xx too, and valid compressed bodies still work', async () => {
      const realm = await connect(KEY_A);
      const form = await rawRequest(
        port,
        'POST',
        `/quickbooks/connections/${realm}/disconnect`,
        {
          host: `localhost:${port}`,
          'x-api-key': KEY_A,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          accept: 'application/json',
        },
        Buffer.from('garbage'),
      );
      expect(form.status).toBe(400);
      const ok = await rawRequest(
        port,
        'POST',
        '/login',
        { host: `localhost:${port}`, 'content-type': 'application/json', 'content-encoding': 'br' },
        brotliCompressSync(JSON.stringify({ apiKey: KEY_A })),
      );
      expect(ok.status).toBe(303);
      expect(String(ok.headers['set-cookie'])).toMatch(/^qbx_session=/);
    });
  });

  describe('credential guessing is rate-limited (finding 12)', () => {
    it(`blocks an IP after ${MAX_CREDENTIAL_FAILURES} wrong API keys, the right key included, and only that IP`, async () => {
      const ip = nextIp();
      for (let i = 0; i < MAX_CREDENTIAL_FAILURES; i++) {
        await api().get('/quickbooks/connections').set('X-Forwarded-For', ip).set('x-api-key', `guess-${i}-0000000000000000`).expect(401);
      }
      const blocked = await api()
        .get('/quickbooks/connections')
        .set('X-Forwarded-For', ip)
        .set('x-api-key', 'guess-x-0000000000000000')
        .expect(429);
      expect(blocked.body.error).toBe('too_many_failed_attempts');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // The right key from the guessing IP is refused too: a 429 says nothing about the guess.
      await api().get('/quickbooks/connections').set('X-Forwarded-For', ip).set('x-api-key', KEY_A).expect(429);
      await api().get('/').set('X-Forwarded-For', ip).set('x-api-key', KEY_A).expect(429);
      await api().get('/quickbooks/connections').set('X-Forwarded-For', nextIp()).set('x-api-key', KEY_A).expect(200);
    });

    it('blocks logins after repeated wrong keys; successful API calls never count', async () => {
      const busy = nextIp();
      for (let i = 0; i < MAX_CREDENTIAL_FAILURES * 2; i++)
        await api().get('/quickbooks/connections').set('X-Forwarded-For', busy).set('x-api-key', KEY_A).expect(200);
      const ip = nextIp();
      for (let i = 0; i < MAX_CREDENTIAL_FAILURES; i++) {
        const res = await api()
          .post('/login')
          .set('X-Forwarded-For', ip)
          .type('form')
          .send({ apiKey: `wrong-${i}-000000000000` })
          .expect(303);
        expect(res.headers.location).toBe('/?error=invalid_api_key');
      }
      await api().post('/login').set('X-Forwarded-For', ip).type('form').send({ apiKey: KEY_A }).expect(429);
      const browser = await api()
        .post('/login')
        .set('X-Forwarded-For', ip)
        .set('Accept', 'text/html')
        .type('form')
        .send({ apiKey: KEY_A })
        .expect(303);
      expect(browser.headers.location).toBe('/?error=too_many_failed_attempts');
      expect(browser.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('emulator control API is out of reach of web pages (finding 8)', () => {
    const emu = () => h.emulator.port;
    it('refuses a cross-site reset, a text/plain JSON body and a rebound Host; nothing changes', async () => {
      const realm = await connect(KEY_A);
      const before = h.emulator.state.realmSummary(realm)!.status;
      const host = `127.0.0.1:${emu()}`;
      expect((await rawRequest(emu(), 'POST', '/_emulator/reset', { host, origin: EVIL })).status).toBe(403);
      expect((await rawRequest(emu(), 'POST', '/_emulator/reset', { host, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect(
        (await rawRequest(emu(), 'POST', '/_emulator/config', { host, 'content-type': 'text/plain' }, '{"accessTokenTtlSeconds":1}'))
          .status,
      ).toBe(415);
      expect((await rawRequest(emu(), 'POST', '/_emulator/reset', { host: `evil.example:${emu()}` })).status).toBe(403);
      expect(h.emulator.state.realmSummary(realm)!.status).toBe(before);
      expect(h.emulator.state.config.accessTokenTtlSeconds).toBe(300);
    });
  });

  describe('injected upstream faults map to 503, the only 5xx allowed', () => {
    it('Intuit’s token endpoint failing at the callback, QBO failing at company-info', async () => {
      const realm = await connect(KEY_A);
      await recorder.duringInjectedFault(async () => {
        const cb = await authorize({ key: KEY_A });
        h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 500, count: 1, grantType: 'authorization_code' });
        expect((await api().get(pathOf(cb)).set('x-api-key', KEY_A).expect(503)).body.error).toBe('quickbooks_unavailable');
        h.emulator.state.faults.add({ endpoint: 'companyinfo', type: 'status', status: 500, count: 1 });
        await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_A).expect(503);
      });
      await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_A).expect(200);
    });
  });

  describe('hardening (findings 7, 12)', () => {
    it('sends helmet’s headers and a CSP that allows exactly the page’s stylesheet', async () => {
      const page = await api().get('/').expect(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)![1];
      expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('same-origin');
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(page.headers['x-powered-by']).toBeUndefined();
      // Served over http (demo): no HSTS, which would pin localhost to https.
      expect(page.headers['strict-transport-security']).toBeUndefined();
    });

    it('marks every response that carries connection data Cache-Control: no-store', async () => {
      const cookie = await login(KEY_A);
      const cb = await authorize({ key: KEY_A });
      const callback = await api().get(pathOf(cb)).set('x-api-key', KEY_A).expect(200);
      const realm = callback.body.connection.realmId as string;
      const answers = [
        callback,
        await api().get('/').set('Cookie', cookie).expect(200),
        await api().get('/quickbooks/connections').set('x-api-key', KEY_A).expect(200),
        await api().get(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_A).expect(200),
        await api().get(`/quickbooks/connections/${realm}/company-info`).set('x-api-key', KEY_A).expect(200),
        await api().get('/quickbooks/connect').set('x-api-key', KEY_A).expect(302),
        await api().get('/quickbooks/connections/1').set('x-api-key', KEY_A).expect(404),
        await api().delete(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_A).expect(200),
        await api().get('/health/quickbooks').expect(200),
      ];
      for (const res of answers) expect(res.headers['cache-control']).toMatch(/(^|, )no-store(,|$)/);
    });

    it('sets Secure on the session cookie when a trusted proxy says the request came over https, and only then', async () => {
      const https = await api().post('/login').set('X-Forwarded-Proto', 'https').type('form').send({ apiKey: KEY_A }).expect(303);
      expect(String(https.headers['set-cookie'])).toMatch(/; Secure/);
      const http = await api().post('/login').type('form').send({ apiKey: KEY_A }).expect(303);
      expect(String(http.headers['set-cookie'])).not.toMatch(/Secure/);
    });

    it('demo mode listens on 127.0.0.1 only', () => {
      expect(h.runtime.host).toBe('127.0.0.1');
      expect(((h.app.getHttpServer() as Server).address() as AddressInfo).address).toBe('127.0.0.1');
    });

    it('keeps the SQLite database, its WAL and shared memory owner-only (0600)', () => {
      for (const file of [sqlitePath(), `${sqlitePath()}-wal`, `${sqlitePath()}-shm`])
        expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    });

    it('a production start without QB_CLIENT_ID refuses demo mode, naming what is missing and no value', async () => {
      const canary = 'canary-cookie-secret-0123456789abcdef-XYZ';
      const err = (await resolveRuntime({
        NODE_ENV: 'production',
        EXAMPLE_COOKIE_SECRET: canary,
        EXAMPLE_API_KEYS: `${KEY_A}:tenant-a`,
        EXAMPLE_DATA_DIR: join(h.dataDir, 'prod'),
      }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain('QB_CLIENT_ID, QB_CLIENT_SECRET, QB_REDIRECT_URI, QB_ENCRYPTION_KEYS, QB_STATE_SECRET');
      expect(err.message).not.toContain('EXAMPLE_COOKIE_SECRET');
      expect(err.message).not.toContain(canary);
      expect(err.message).not.toContain(KEY_A);
    });
  });

  describe('the whole attack list', () => {
    it('answered every attack without a 5xx (except the injected upstream faults), and logged no credential', () => {
      expect(recorder.responses.length).toBeGreaterThan(150);
      expect(recorder.unexpectedServerErrors()).toEqual([]);
      expect(recorder.responses.filter((r) => r.injectedFault && r.status >= 500).length).toBeGreaterThanOrEqual(2);
      const logs = h.logs.join('\n');
      for (const secret of [KEY_A, KEY_B, h.runtime.cookieSecret, h.runtime.quickBooksOptions!.clientSecret])
        expect(logs).not.toContain(secret);
    });
  });
});
