import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { start } from './emulator-harness';

const ROOT = resolve(__dirname, '../..');

interface RawResponse {
  status: number;
  body: string;
}

/** One request with exactly these headers (Host, Origin... as a browser or an attacker sends them). */
function raw(emu: RunningEmulator, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: emu.port,
        method,
        path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const local = (emu: RunningEmulator): string => `127.0.0.1:${emu.port}`;

/**
 * The control API (/_emulator/) can reset state, mint tokens and inject faults, so a web page in
 * the developer's browser must not reach it: a foreign Host (DNS rebinding), a cross-site Origin
 * (CSRF), a body that is not application/json, or a missing token (when one is configured) are
 * refused before anything changes. The OAuth endpoints stay open, as at Intuit.
 */
describe('Intuit emulator: control API access', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    emu = await start();
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.state.reset());

  it('refuses JSON sent as text/plain or as a form (what a cross-site form or no-cors fetch can send)', async () => {
    const body = JSON.stringify({ accessTokenTtlSeconds: 5 });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect((await raw(emu, 'POST', '/_emulator/config', { host: local(emu), 'content-type': type }, body)).status).toBe(415);
    }
    expect((await raw(emu, 'POST', '/_emulator/config', { host: local(emu) }, body)).status).toBe(415);
    expect(emu.state.config.accessTokenTtlSeconds).toBe(3600);
    const ok = await raw(emu, 'POST', '/_emulator/config', { host: local(emu), 'content-type': 'application/json; charset=utf-8' }, body);
    expect(ok.status).toBe(200);
    expect(emu.state.config.accessTokenTtlSeconds).toBe(5);
  });

  it('still accepts body-less POSTs (whatever type a client declares) and GETs from local tools', async () => {
    emu.state.clock.advance(60);
    expect((await raw(emu, 'POST', '/_emulator/reset', { host: local(emu) })).status).toBe(200);
    expect(
      (await raw(emu, 'POST', '/_emulator/stats/reset', { host: local(emu), 'content-type': 'application/x-www-form-urlencoded' }, ''))
        .status,
    ).toBe(200);
    expect(
      (
        await raw(
          emu,
          'POST',
          '/_emulator/reset',
          { host: local(emu), 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
          '',
        )
      ).status,
    ).toBe(403);
    expect(emu.state.clock.snapshot().offsetMs).toBe(0);
    expect((await raw(emu, 'GET', '/_emulator/clock', { host: `localhost:${emu.port}` })).status).toBe(200);
    expect((await raw(emu, 'GET', '/_emulator/clock', { host: `127.0.0.2:${emu.port}` })).status).toBe(200);
    expect((await raw(emu, 'GET', '/_emulator/clock', { host: `[::1]:${emu.port}` })).status).toBe(200);
  });

  it('refuses a foreign Host: a DNS-rebound name pointing at 127.0.0.1', async () => {
    for (const host of [
      `evil.example:${emu.port}`,
      'evil.example',
      `127.0.0.1.evil.example:${emu.port}`,
      `localhost.evil.example:${emu.port}`,
    ]) {
      const res = await raw(emu, 'POST', '/_emulator/reset', { host });
      expect([host, res.status]).toEqual([host, 403]);
    }
    emu.state.clock.advance(60);
    expect(
      (
        await raw(
          emu,
          'POST',
          '/_emulator/clock/set',
          { host: `evil.example:${emu.port}`, 'content-type': 'application/json' },
          '{"offsetMs":0}',
        )
      ).status,
    ).toBe(403);
    expect(emu.state.clock.snapshot().offsetMs).toBe(60_000);
    // The OAuth side answers any Host, like Intuit behind its load balancer.
    expect((await raw(emu, 'GET', '/.well-known/openid_configuration', { host: `evil.example:${emu.port}` })).status).toBe(200);
  });

  it('refuses cross-origin and cross-site requests, accepts same-origin ones', async () => {
    const json = JSON.stringify({ enabled: true });
    const post = (headers: Record<string, string>) =>
      raw(emu, 'POST', '/_emulator/auto-approve', { host: local(emu), 'content-type': 'application/json', ...headers }, json);
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ origin: `http://localhost:${emu.port}` })).status).toBe(403); // another origin, even if loopback
    expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect(emu.state.autoApprove.enabled).toBe(false);
    expect((await post({ origin: `http://${local(emu)}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(emu.state.autoApprove.enabled).toBe(true);
  });

  it('with a control token, every control request needs it; the OAuth endpoints do not', async () => {
    const guarded = await start({ controlToken: 'ctl-token-0123456789abcdef' });
    try {
      const host = local(guarded);
      expect((await raw(guarded, 'GET', '/_emulator/clock', { host })).status).toBe(401);
      expect((await raw(guarded, 'GET', '/_emulator/clock', { host, authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(
        401,
      );
      expect((await raw(guarded, 'POST', '/_emulator/reset', { host, authorization: 'Basic Y3RsOnRva2Vu' })).status).toBe(401);
      expect((await raw(guarded, 'GET', '/_emulator/clock', { host, authorization: 'Bearer ctl-token-0123456789abcdef' })).status).toBe(
        200,
      );
      expect((await raw(guarded, 'GET', '/.well-known/openid_configuration', { host })).status).toBe(200);
      // A valid token does not lift the Host and Origin checks.
      expect(
        (await raw(guarded, 'GET', '/_emulator/clock', { host: 'evil.example', authorization: 'Bearer ctl-token-0123456789abcdef' }))
          .status,
      ).toBe(403);
    } finally {
      await guarded.close();
    }
    await expect(start({ controlToken: 'short' })).rejects.toThrow(/controlToken/);
  });

  it('answers to the configured host and controlHosts (a container service name)', async () => {
    const named = await start({ controlHosts: ['emulator'] });
    try {
      expect((await raw(named, 'GET', '/_emulator/clock', { host: `emulator:${named.port}` })).status).toBe(200);
      expect((await raw(named, 'GET', '/_emulator/clock', { host: `EMULATOR:${named.port}` })).status).toBe(200);
      expect((await raw(named, 'GET', '/_emulator/clock', { host: `emulator.evil.example:${named.port}` })).status).toBe(403);
    } finally {
      await named.close();
    }
  });

  describe('CLI', () => {
    let child: ChildProcess | null = null;
    afterEach(() => {
      child?.kill('SIGTERM');
      child = null;
    });

    it('--control-token turns the token on', async () => {
      child = spawn(
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          '-r',
          'tsconfig-paths/register',
          'libs/intuit-emulator/src/cli.ts',
          '--port',
          '0',
          '--quiet',
          '--control-token',
          'cli-token-0123456789abcdef',
        ],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const url = await new Promise<string>((done, fail) => {
        let out = '';
        child!.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m && out.includes('Control API')) done(m[1]);
        });
        child!.once('exit', (code) => fail(new Error(`emulator CLI exited with ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(new URL(url).port);
      const target = { port } as RunningEmulator;
      expect((await raw(target, 'GET', '/_emulator/clock', { host: `127.0.0.1:${port}` })).status).toBe(401);
      expect(
        (await raw(target, 'GET', '/_emulator/clock', { host: `127.0.0.1:${port}`, authorization: 'Bearer cli-token-0123456789abcdef' }))
          .status,
      ).toBe(200);
    }, 60_000);
  });
});
