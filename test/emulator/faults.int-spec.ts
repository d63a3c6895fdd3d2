import { request as httpRequest } from 'node:http';
import { basic, Harness, http, start } from './emulator-harness';

/** A raw refresh over node:http so the socket-level failure (ECONNRESET / hang up) is visible. */
function rawRefresh(url: string, refreshToken: string): Promise<{ status: number } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();
    const req = httpRequest(
      `${url}/oauth2/v1/tokens/bearer`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    req.end(body);
  });
}

describe('Intuit emulator: fault injection', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(await start());
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  const addFault = async (rule: Record<string, unknown>): Promise<string> => {
    const res = await h.control('POST', '/faults', rule);
    expect(res.status).toBe(200);
    return res.data.id;
  };

  it('latency delays the response', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'latency', latencyMs: 300 });
    const t0 = Date.now();
    const res = await h.refresh(c.refresh_token);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('status 503 with an HTML body and Retry-After, then expires after count', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'status', status: 503, retryAfter: 7, count: 1 });
    const first = await h.refresh(c.refresh_token);
    expect(first.status).toBe(503);
    expect(first.headers['content-type']).toMatch(/text\/html/);
    expect(first.headers['retry-after']).toBe('7');
    expect(first.headers.intuit_tid).toBeTruthy();
    expect((await h.refresh(c.refresh_token)).status).toBe(200);
    expect((await h.control('GET', '/faults')).data.faults).toHaveLength(0);
  });

  it('status 500 with a JSON body', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'status', status: 500, body: 'json' });
    const res = await h.refresh(c.refresh_token);
    expect(res.status).toBe(500);
    expect(res.data).toMatchObject({ error: 'server_error' });
  });

  it('rate_limit: 429 with Retry-After as an HTTP date', async () => {
    const c = await h.mint();
    const when = new Date(Date.now() + 5000).toUTCString();
    await addFault({ endpoint: 'token', type: 'rate_limit', retryAfter: when });
    const res = await h.refresh(c.refresh_token);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe(when);
  });

  it('rate_limit on companyinfo uses the QBO ThrottleExceeded fault', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'companyinfo', type: 'rate_limit' });
    const res = await http.get(`${h.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`, {
      headers: { authorization: `Bearer ${c.access_token}` },
    });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.data.Fault.Error[0].Message).toContain('errorCode=003001');
  });

  it('reset: the client sees ECONNRESET / socket hang up and nothing rotates', async () => {
    const c = await h.mint();
    await h.advance(25 * 3600);
    await addFault({ endpoint: 'token', type: 'reset', count: 1 });
    const outcome = await rawRefresh(h.url, c.refresh_token);
    expect('error' in outcome).toBe(true);
    if ('error' in outcome) expect(['ECONNRESET', 'EPIPE']).toContain(outcome.error.code);
    expect((await h.control('GET', `/realms/${c.realmId}`)).data.rotations).toBe(0);
    // axios sees it too.
    await addFault({ endpoint: 'token', type: 'reset', count: 1 });
    await expect(h.refresh(c.refresh_token)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
  });

  it('drop_after_rotate: rotation is committed but the response is lost', async () => {
    const c = await h.mint();
    await h.advance(25 * 3600);
    await addFault({ endpoint: 'token', type: 'drop_after_rotate', grantType: 'refresh_token', count: 1 });
    const outcome = await rawRefresh(h.url, c.refresh_token);
    expect('error' in outcome).toBe(true);
    const realm = (await h.control('GET', `/realms/${c.realmId}`)).data;
    expect(realm.rotations).toBe(1);
    const stats = (await h.control('GET', '/stats')).data;
    expect(stats.droppedAfterRotate).toBe(1);
    // The client retries with the token it has: superseded, so invalid_grant and counted.
    const retry = await h.refresh(c.refresh_token);
    expect(retry.data).toEqual({ error: 'invalid_grant' });
    expect((await h.control('GET', '/stats')).data.supersededRefreshTokenUses).toBe(1);
  });

  it('drop_after_rotate is not used up by a failing request', async () => {
    await addFault({ endpoint: 'token', type: 'drop_after_rotate', count: 1 });
    expect((await h.refresh('unknown')).status).toBe(400);
    expect((await h.control('GET', '/faults')).data.faults).toHaveLength(1);
  });

  it('garbage: 200 that is not JSON', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'garbage' });
    const res = await http.post(`${h.url}/oauth2/v1/tokens/bearer`, `grant_type=refresh_token&refresh_token=${c.refresh_token}`, {
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      responseType: 'text',
      transformResponse: (d) => d,
    });
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.data)).toThrow();
  });

  it('html: 200 text/html', async () => {
    await addFault({ endpoint: '*', type: 'html' });
    const res = await http.get(`${h.url}/v1/openid_connect/userinfo`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.data).toContain('<html>');
  });

  it('grantType filter and probability 0', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'status', status: 502, grantType: 'authorization_code' });
    await addFault({ endpoint: 'token', type: 'status', status: 504, probability: 0 });
    expect((await h.refresh(c.refresh_token)).status).toBe(200);
  });

  it('faults can be deleted by id and all at once', async () => {
    const c = await h.mint();
    const id = await addFault({ endpoint: 'token', type: 'status', status: 503 });
    expect((await h.refresh(c.refresh_token)).status).toBe(503);
    expect((await h.control('DELETE', `/faults/${id}`)).status).toBe(200);
    expect((await h.control('DELETE', `/faults/${id}`)).status).toBe(404);
    expect((await h.refresh(c.refresh_token)).status).toBe(200);
    await addFault({ endpoint: '*', type: 'status', status: 503 });
    expect((await h.control('DELETE', '/faults')).status).toBe(200);
    expect((await h.refresh(c.refresh_token)).status).toBe(200);
  });

  it('rejects malformed fault rules with 400', async () => {
    expect((await h.control('POST', '/faults', { endpoint: 'token', type: 'explode' })).status).toBe(400);
    expect((await h.control('POST', '/faults', { endpoint: 'nowhere', type: 'reset' })).status).toBe(400);
    expect((await h.control('POST', '/faults', { endpoint: 'token', type: 'latency', probability: 2 })).status).toBe(400);
  });

  it('counts concurrent in-flight refreshes of the same token', async () => {
    const c = await h.mint();
    await addFault({ endpoint: 'token', type: 'latency', latencyMs: 200 });
    const results = await Promise.all(Array.from({ length: 20 }, () => h.refresh(c.refresh_token)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const stats = (await h.control('GET', '/stats')).data;
    expect(stats.concurrentRefreshesMaxPerToken).toBeGreaterThanOrEqual(2);
    expect(stats.calls.byGrant.refresh_token).toBe(20);
    expect(stats.calls.byRealm[c.realmId].refresh_token).toBe(20);
    expect(stats.inFlightRefreshes).toBe(0);
  });

  it('concurrent refreshes across a rotation: first wins, the rest are superseded uses', async () => {
    const c = await h.mint();
    await h.advance(25 * 3600);
    await addFault({ endpoint: 'token', type: 'latency', latencyMs: 100 });
    const results = await Promise.all(Array.from({ length: 5 }, () => h.refresh(c.refresh_token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(4);
    expect((await h.control('GET', '/stats')).data.supersededRefreshTokenUses).toBe(4);
  });
});
