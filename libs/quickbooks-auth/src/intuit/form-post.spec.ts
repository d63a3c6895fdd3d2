import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { formTarget, postForm } from './form-post';

describe('postForm', () => {
  const agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  let server: http.Server;
  let base: string;
  let answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => answer(req, res, body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    agents.httpAgent.destroy();
    await new Promise((r) => server.close(r));
  });

  it('sends the form with its headers and returns status, headers and the body as text', async () => {
    answer = (req, res, body) => {
      res.writeHead(400, { 'Content-Type': 'application/json', intuit_tid: 'tid-1' });
      res.end(
        JSON.stringify({
          got: body,
          type: req.headers['content-type'],
          length: req.headers['content-length'],
          host: req.headers.host,
          connection: req.headers.connection,
        }),
      );
    };
    const res = await postForm(
      formTarget(new URL(`${base}/token`)),
      'grant_type=refresh_token&x=%C3%A9',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      agents,
    );
    expect(res.status).toBe(400);
    expect(res.headers.intuit_tid).toBe('tid-1');
    expect(JSON.parse(res.data as string)).toEqual({
      got: 'grant_type=refresh_token&x=%C3%A9',
      type: 'application/x-www-form-urlencoded',
      length: '33',
      host: base.slice('http://'.length),
      connection: 'keep-alive',
    });
  });

  it('rejects an answer cut off mid-body (in doubt), never returning it short', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"access_token":"');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    await expect(postForm(formTarget(new URL(`${base}/token`)), 'a=b', {}, agents)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('stops reading an answer over 1 MiB', async () => {
    answer = (_req, res) => {
      res.writeHead(200);
      res.end('x'.repeat(1024 * 1024 + 10));
    };
    await expect(postForm(formTarget(new URL(`${base}/token`)), 'a=b', {}, agents)).rejects.toMatchObject({ code: 'ERESPONSETOOLARGE' });
  });

  it("keeps Node's code for a refused connection (classified as never sent)", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(postForm(formTarget(new URL(`http://127.0.0.1:${port}/token`)), 'a=b', {}, agents)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('sends to the parsed endpoint: its path and query, on its host and port', async () => {
    answer = (req, res) => res.end(req.url);
    const res = await postForm(formTarget(new URL(`${base}/oauth2/v1/tokens/bearer?minorversion=1`)), 'a=b', {}, agents);
    expect(res.data).toBe('/oauth2/v1/tokens/bearer?minorversion=1');
  });
});

describe('formTarget', () => {
  it('takes the scheme, host, port and path with query from a URL, once', () => {
    expect(formTarget(new URL('https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer'))).toEqual({
      secure: true,
      hostname: 'oauth.platform.intuit.com',
      port: undefined,
      path: '/oauth2/v1/tokens/bearer',
      host: 'oauth.platform.intuit.com',
    });
    expect(formTarget(new URL('http://127.0.0.1:4010/t?x=1'))).toEqual({
      secure: false,
      hostname: '127.0.0.1',
      port: 4010,
      path: '/t?x=1',
      host: '127.0.0.1:4010',
    });
  });

  it('unbrackets an IPv6 literal for the hostname option, and keeps it bracketed in the Host header', () => {
    expect(formTarget(new URL('http://[::1]:4010/t'))).toMatchObject({ hostname: '::1', host: '[::1]:4010' });
  });
});
