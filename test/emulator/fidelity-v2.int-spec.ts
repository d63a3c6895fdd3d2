/**
 * Emulator fidelity v2 (libs/intuit-emulator/README.md, "Fidelity v2"), one raw-HTTP case per
 * rule: Intuit's issuer in compatible mode with RS256 keys at jwks_uri and the realm claim; form
 * bodies only at the token endpoint; XML unless JSON is asked for; 10 concurrent requests per app
 * and realm; the lost-answer faults and the grace window flag; the retired migrate endpoint.
 * (Rules 4 and 5, the 401 shapes, are in protocol.int-spec.ts; namespaces in namespaces.int-spec.ts.)
 */
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { emulatorOptionsFromArgs } from '@quickbooks-auth/intuit-emulator/cli-options';
import { ACCOUNTING, basic, CLIENT_ID, Harness, http, REDIRECT_URI, start } from './emulator-harness';

const run = promisify(execFile);
const INTUIT_ISSUER = 'https://oauth.platform.intuit.com/op/v1';

/** A refresh whose answer may never come: resolves with the status, the socket error, or 'timeout'. */
function refreshWithTimeout(url: string, refreshToken: string, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
    const req = httpRequest(`${url}/oauth2/v1/tokens/bearer`, {
      method: 'POST',
      agent: false,
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body);
  });
}

describe('Intuit emulator fidelity v2', () => {
  let emu: RunningEmulator;
  let h: Harness;

  beforeAll(async () => {
    emu = await start();
    h = new Harness(emu);
  });
  afterAll(() => emu.close());
  beforeEach(() => h.control('POST', '/reset'));

  describe('rule 1: id_token issuer, keys and realm claim', () => {
    it("Intuit-compatible mode: discovery issuer and id_token iss are Intuit's; the token verifies against jwks_uri and carries realmid", async () => {
      const compatible = await start({ intuitCompatible: true, autoApprove: true });
      try {
        const discovery = (await http.get(`${compatible.url}/.well-known/openid_sandbox_configuration`)).data;
        expect(discovery.issuer).toBe(INTUIT_ISSUER);
        const authorize = await http.get(new Harness(compatible).authorizeUrl({ scope: `${ACCOUNTING} openid`, nonce: 'n-1' }));
        const callback = new URL(authorize.headers.location as string);
        const code = callback.searchParams.get('code') as string;
        const realmId = callback.searchParams.get('realmId') as string;
        const tokens = await new Harness(compatible).token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
        expect(tokens.status).toBe(200);
        const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
        const { payload, protectedHeader } = await jwtVerify(tokens.data.id_token, jwks, { issuer: INTUIT_ISSUER, audience: CLIENT_ID });
        expect(protectedHeader.alg).toBe('RS256');
        expect(payload).toMatchObject({ realmid: realmId, nonce: 'n-1' });
      } finally {
        await compatible.close();
      }
    });

    it('default mode keeps the emulator URL as issuer (explicit `issuer` overrides both)', async () => {
      expect((await http.get(`${h.url}/.well-known/openid_configuration`)).data.issuer).toBe(`${h.url}/op/v1`);
      const custom = await start({ intuitCompatible: true, issuer: 'https://issuer.test/op/v1' });
      try {
        expect((await http.get(`${custom.url}/.well-known/openid_configuration`)).data.issuer).toBe('https://issuer.test/op/v1');
      } finally {
        await custom.close();
      }
    });
  });

  describe('rule 3: the token endpoint takes form bodies only', () => {
    it.each([
      ['application/json', JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' })],
      ['text/plain', 'grant_type=refresh_token&refresh_token=x'],
      ['', 'grant_type=refresh_token&refresh_token=x'],
    ])('content-type %j: 400 invalid_request, nothing read', async (contentType, body) => {
      const c = await h.mint();
      const payload =
        contentType === 'application/json'
          ? JSON.stringify({ grant_type: 'refresh_token', refresh_token: c.refresh_token })
          : body.replace('refresh_token=x', `refresh_token=${c.refresh_token}`);
      const res = await http.post(`${h.url}/oauth2/v1/tokens/bearer`, payload, {
        headers: { authorization: basic(), 'content-type': contentType },
        transformRequest: (d) => d,
      });
      expect(res.status).toBe(400);
      expect(res.data).toEqual({ error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' });
      // The refresh token was not used: a form refresh still works.
      expect((await h.refresh(c.refresh_token)).status).toBe(200);
    });
  });

  describe('rule 6: QBO answers XML unless JSON is asked for', () => {
    it('companyinfo without Accept: application/json is an IntuitResponse document', async () => {
      const c = await h.mint();
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
        headers: { authorization: `Bearer ${c.access_token}`, accept: 'application/xml' },
        responseType: 'text',
        transformResponse: (d) => d,
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/xml;charset=UTF-8');
      expect(res.data).toMatch(
        /^<\?xml version="1\.0" encoding="UTF-8" standalone="yes"\?>\n<IntuitResponse xmlns="http:\/\/schema\.intuit\.com\/finance\/v3" time="[^"]+">/,
      );
      expect(res.data).toContain(`<CompanyInfo>`);
      expect(res.data).toContain(`<CompanyName>Emulated Company ${c.realmId}</CompanyName>`);
    });

    it('a fault in XML: Fault type and Error code are attributes', async () => {
      const c = await h.mint();
      await h.advance(3600);
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
        headers: { authorization: `Bearer ${c.access_token}`, accept: '*/*' },
        responseType: 'text',
        transformResponse: (d) => d,
      });
      expect(res.status).toBe(401);
      expect(res.data).toContain(
        '<Fault type="AUTHENTICATION"><Error code="3200"><Message>message=AuthenticationFailed; errorCode=003200; statusCode=401</Message>',
      );
      expect(res.data).toContain(`<Detail>Token expired: ${c.access_token.slice(0, 10)}</Detail>`);
    });

    it('Accept: application/json gets JSON', async () => {
      const c = await h.mint();
      const res = await http.get(`${h.url}/v3/company/${c.realmId}/query?query=${encodeURIComponent('select * from CompanyInfo')}`, {
        headers: { authorization: `Bearer ${c.access_token}`, accept: 'application/json' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.data.QueryResponse.CompanyInfo).toHaveLength(1);
    });
  });

  describe('rule 7: 10 concurrent requests per app and realm', () => {
    it('the 11th and 12th in flight at once get 429 ThrottleExceeded 003001; another realm is not affected', async () => {
      const a = await h.mint();
      const b = await h.mint();
      await h.control('POST', '/faults', { endpoint: 'companyinfo', type: 'latency', latencyMs: 400 });
      const call = (c: { realmId: string; access_token: string }) =>
        http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
          headers: { authorization: `Bearer ${c.access_token}`, accept: 'application/json' },
        });
      const answers = await Promise.all([...Array.from({ length: 12 }, () => call(a)), call(b)]);
      const forA = answers.slice(0, 12).map((r) => r.status);
      expect(forA.filter((s) => s === 200)).toHaveLength(10);
      const throttled = answers.slice(0, 12).filter((r) => r.status === 429);
      expect(throttled).toHaveLength(2);
      expect(throttled[0].data.Fault).toEqual({
        Error: [
          {
            Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
            Detail: 'Too many concurrent requests for this app and realm (limit 10).',
            code: '003001',
          },
        ],
        type: 'SERVICE',
      });
      expect(throttled[0].headers['retry-after']).toBe('1');
      expect(answers[12].status).toBe(200);
      // Slots are released when the answers close: the next request passes.
      await h.control('DELETE', '/faults');
      expect((await call(a)).status).toBe(200);
    });

    it('the limit is a setting (sandbox limits through the control API)', async () => {
      await h.control('POST', '/config', { concurrentRequestsPerRealm: 2 });
      const c = await h.mint();
      await h.control('POST', '/faults', { endpoint: 'companyinfo', type: 'latency', latencyMs: 300 });
      const statuses = (
        await Promise.all(
          Array.from({ length: 3 }, () =>
            http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
              headers: { authorization: `Bearer ${c.access_token}`, accept: 'application/json' },
            }),
          ),
        )
      ).map((r) => r.status);
      expect(statuses.sort()).toEqual([200, 200, 429]);
    });
  });

  describe('rule 8: lost answers and the grace window', () => {
    it('withhold_after_rotate: the refresh is committed and the answer never comes; the client times out', async () => {
      const c = await h.mint();
      await h.advance(25 * 3600);
      await h.control('POST', '/faults', { endpoint: 'token', type: 'withhold_after_rotate', grantType: 'refresh_token', count: 1 });
      expect(await refreshWithTimeout(h.url, c.refresh_token, 500)).toBe('timeout');
      expect((await h.control('GET', `/realms/${c.realmId}`)).data.rotations).toBe(1);
      expect((await h.control('GET', '/stats')).data.droppedAfterRotate).toBe(1);
      // The token the client still holds was superseded: invalid_grant.
      expect((await h.refresh(c.refresh_token)).data).toEqual({ error: 'invalid_grant' });
    });

    it('drop_after_rotate: committed, then the connection is reset', async () => {
      const c = await h.mint();
      await h.advance(25 * 3600);
      await h.control('POST', '/faults', { endpoint: 'token', type: 'drop_after_rotate', grantType: 'refresh_token', count: 1 });
      expect(['ECONNRESET', 'EPIPE', 'socket hang up']).toContain(await refreshWithTimeout(h.url, c.refresh_token, 5000));
      expect((await h.control('GET', `/realms/${c.realmId}`)).data.rotations).toBe(1);
    });

    it('refreshGraceSeconds: a superseded refresh token still refreshes inside the window, not after', async () => {
      await h.control('POST', '/config', { refreshGraceSeconds: 60 });
      const c = await h.mint();
      await h.advance(25 * 3600);
      const rotated = await h.refresh(c.refresh_token);
      expect(rotated.data.refresh_token).not.toBe(c.refresh_token);
      expect((await h.refresh(c.refresh_token)).status).toBe(200);
      await h.advance(61);
      expect((await h.refresh(c.refresh_token)).data).toEqual({ error: 'invalid_grant' });
    });

    it('the CLI takes --grace-seconds and --intuit-compatible, and names a bad value', async () => {
      expect(emulatorOptionsFromArgs(['--grace-seconds', '30', '--intuit-compatible'], {})).toMatchObject({
        refreshGraceSeconds: 30,
        intuitCompatible: true,
      });
      const cli = join(__dirname, '..', '..', 'libs', 'intuit-emulator', 'src', 'cli.ts');
      const tsNode = join(__dirname, '..', '..', 'node_modules', '.bin', 'ts-node');
      const bad = await run(tsNode, ['--transpile-only', cli, '--grace-seconds=-1'], { timeout: 60_000 }).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect(bad).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('option --grace-seconds must be a number of seconds >= 0 (got "-1")'),
      });
    });
  });

  describe('rule 9: the retired OAuth 1.0 migration endpoint', () => {
    it('/v2/oauth2/tokens/migrate answers an OAuth invalid_request error, never tokens', async () => {
      const res = await http.post(
        `${h.url}/v2/oauth2/tokens/migrate`,
        { scope: ACCOUNTING, redirect_uri: REDIRECT_URI },
        { headers: { authorization: basic() } },
      );
      expect(res.status).toBe(400);
      expect(res.data).toEqual({ error: 'invalid_request', error_description: 'OAuth 1.0 token migration is no longer supported' });
    });
  });
});
