import { request } from 'node:http';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { start } from './emulator-harness';

interface Answer {
  status: number;
  body: unknown;
  tid: boolean;
}

/** One request, headers exactly as given (a Host of our choosing), body as raw text. */
function send(
  emu: RunningEmulator,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = {
    host: `127.0.0.1:${emu.port}`,
    ...options.headers,
    ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
  };
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: emu.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // HTML or empty: compared as text
        }
        done({ status: res.statusCode ?? 0, body, tid: /^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(String(res.headers.intuit_tid)) });
      });
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

const noRoute = (method: string, path: string): unknown => ({ error: 'not_found', error_description: `No route for ${method} ${path}` });
const noControlRoute = (method: string, route: string): unknown => ({
  error: 'not_found',
  error_description: `No control route ${method} ${route}`,
});
const USE_POST = { error: 'invalid_request', error_description: 'Use POST' };
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * How requests are routed, pinned as it was before the route table: which paths and methods each
 * endpoint takes, what an unknown path or a wrong method gets, and the order of the checks.
 */
describe('Intuit emulator: routing', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    emu = await start();
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.state.reset());

  it.each<[string, string, number, unknown]>([
    ['GET', '/nope', 404, noRoute('GET', '/nope')],
    ['GET', '/', 404, noRoute('GET', '/')],
    ['POST', '/connect/oauth2', 404, noRoute('POST', '/connect/oauth2')],
    ['GET', '/connect/oauth2/decision', 404, noRoute('GET', '/connect/oauth2/decision')],
    ['POST', '/v3/company/1234567890/companyinfo/1', 404, noRoute('POST', '/v3/company/1234567890/companyinfo/1')],
    ['DELETE', '/v3/company/1234567890/query', 404, noRoute('DELETE', '/v3/company/1234567890/query')],
    ['GET', '/v3/company//companyinfo/1', 404, noRoute('GET', '/v3/company//companyinfo/1')],
    ['GET', '/sandbox/oauth2/v1/tokens/bearer', 404, noRoute('GET', '/sandbox/oauth2/v1/tokens/bearer')],
    ['GET', '/production/_emulator/clock', 404, noRoute('GET', '/production/_emulator/clock')],
    ['GET', '/sandbox', 404, noRoute('GET', '/sandbox')],
    ['GET', '/_emulatorx', 404, noRoute('GET', '/_emulatorx')],
    ['GET', '/oauth2/v1/tokens/bearer', 405, USE_POST],
    ['PUT', '/v2/oauth2/tokens/revoke', 405, USE_POST],
    [
      'GET',
      '/v2/oauth2/tokens/migrate',
      400,
      { error: 'invalid_request', error_description: 'OAuth 1.0 token migration is no longer supported' },
    ],
    ['GET', '/_emulator', 404, noControlRoute('GET', '/')],
    ['PATCH', '/_emulator/clock', 404, noControlRoute('PATCH', '/clock')],
    ['GET', '/_emulator/faults/f1', 404, noControlRoute('GET', '/faults/f1')],
    ['DELETE', '/_emulator/realms/1234567890', 404, noControlRoute('DELETE', '/realms/1234567890')],
  ])('%s %s -> %i', async (method, path, status, body) => {
    const answer = await send(emu, method, path);
    expect(answer).toEqual({ status, body, tid: true });
  });

  it('counts a token or revoke call with the wrong method before answering 405, and nothing for a 404', async () => {
    await send(emu, 'GET', '/oauth2/v1/tokens/bearer');
    await send(emu, 'DELETE', '/v2/oauth2/tokens/revoke');
    await send(emu, 'POST', '/connect/oauth2');
    await send(emu, 'POST', '/v3/company/1234567890/companyinfo/1');
    expect(emu.state.statsSnapshot().calls.byEndpoint).toEqual({ token: 1, revoke: 1 });
  });

  it('serves discovery and JWKS on any method, with a trailing slash too', async () => {
    for (const [method, path] of [
      ['GET', '/.well-known/openid_configuration/'],
      ['POST', '/.well-known/openid_sandbox_configuration'],
      ['GET', '/op/v1/jwks/'],
    ]) {
      expect((await send(emu, method, path)).status).toBe(200);
    }
    const sandbox = (await send(emu, 'GET', '/.well-known/openid_sandbox_configuration')).body as Record<string, string>;
    expect(sandbox.userinfo_endpoint).toBe(`${emu.url}/sandbox/v1/openid_connect/userinfo`);
  });

  it('serves userinfo and the QBO API under both namespaces, nothing else', async () => {
    for (const prefix of ['', '/sandbox', '/production']) {
      expect((await send(emu, 'GET', `${prefix}/v1/openid_connect/userinfo`)).status).toBe(401);
      expect(
        (await send(emu, 'GET', `${prefix}/v3/company/1234567890/companyinfo/1`, { headers: { accept: 'application/json' } })).status,
      ).toBe(401);
      expect(
        (
          await send(emu, 'POST', `${prefix}/v3/company/1234567890/query`, {
            body: 'select * from CompanyInfo',
            headers: { accept: 'application/json' },
          })
        ).status,
      ).toBe(401);
    }
  });

  it('checks a control call before anything else: a foreign Host is refused even on an unknown route or a bad body', async () => {
    const evil = { host: `evil.example:${emu.port}`, ...JSON_TYPE };
    expect((await send(emu, 'GET', '/_emulator/nope', { headers: evil })).status).toBe(403);
    expect((await send(emu, 'POST', '/_emulator/clock/advance', { headers: evil, body: '{nope' })).status).toBe(403);
  });

  it('parses a control body before finding the route: malformed JSON on a wrong method or path is 400, a good body 404', async () => {
    const malformed = { status: 400, body: { error: 'invalid_request', error_description: 'Malformed JSON body' }, tid: true };
    expect(await send(emu, 'POST', '/_emulator/clock', { headers: JSON_TYPE, body: '{nope' })).toEqual(malformed);
    expect(await send(emu, 'PUT', '/_emulator/nope', { headers: JSON_TYPE, body: '{nope' })).toEqual(malformed);
    expect(await send(emu, 'POST', '/_emulator/nope', { headers: JSON_TYPE, body: '{}' })).toEqual({
      status: 404,
      body: noControlRoute('POST', '/nope'),
      tid: true,
    });
    expect(await send(emu, 'POST', '/_emulator/reset', { headers: JSON_TYPE, body: '[1]' })).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Body must be a JSON object' },
      tid: true,
    });
  });

  it('reads a token body before the content type check, which comes before client authentication', async () => {
    const json = await send(emu, 'POST', '/oauth2/v1/tokens/bearer', { headers: JSON_TYPE, body: '{"grant_type":"refresh_token"}' });
    expect(json).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' },
      tid: true,
    });
    const form = await send(emu, 'POST', '/oauth2/v1/tokens/bearer', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x',
    });
    expect(form).toEqual({ status: 401, body: { error: 'invalid_client' }, tid: true });
    expect(emu.state.statsSnapshot()).toMatchObject({ invalidClients: 1, calls: { byGrant: { refresh_token: 1 } } });
  });

  it('a fault on the token endpoint fires before client authentication; query takes no fault rule', async () => {
    emu.state.faults.add({ endpoint: '*', type: 'status', status: 418 });
    const token = await send(emu, 'POST', '/oauth2/v1/tokens/bearer', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x',
    });
    expect(token.status).toBe(418);
    const query = await send(emu, 'GET', '/v3/company/1234567890/query?query=select%20*%20from%20CompanyInfo', {
      headers: { accept: 'application/json' },
    });
    expect(query.status).toBe(401);
  });
});
