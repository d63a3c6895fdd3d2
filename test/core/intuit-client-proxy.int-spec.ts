import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, connectTenant, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;
const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

/** A plain forward proxy for http targets (absolute-URI requests), recording what it carried. */
async function startForwardProxy(): Promise<{ url: string; carried: string[]; close(): Promise<void> }> {
  const carried: string[] = [];
  const server = http.createServer((req, res) => {
    carried.push(`${req.method} ${new URL(req.url!).pathname}`);
    const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    carried,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Token calls go out on Node's own client (the refresh's hot path) except where a proxy applies:
 * HTTP(S)_PROXY and NO_PROXY are honoured as axios honours them, read at the first call to each endpoint.
 */
describe('Intuit client behind a proxy', () => {
  let proxy: Awaited<ReturnType<typeof startForwardProxy>>;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    for (const name of PROXY_VARS) saved.set(name, process.env[name]);
    proxy = await startForwardProxy();
  });
  beforeEach(() => {
    for (const name of PROXY_VARS) delete process.env[name];
    proxy.carried.length = 0;
  });
  afterAll(async () => {
    await proxy?.close();
    for (const name of PROXY_VARS) delete process.env[name];
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  });

  /** A fresh module (proxy settings are read at its first token call), one connection refreshed once. */
  const refreshOnce = async (tenantId: string) => {
    const h: Harness = await startHarness({ storage: { type: 'memory' } });
    try {
      const realmId = await connectTenant(h, tenantId);
      const ref = { tenantId, realmId };
      const before = await h.tokens.getAccessToken(ref);
      h.emulator.state.clock.advance(2 * HOUR); // expired: the next read refreshes
      const after = await h.tokens.getAccessToken(ref);
      expect(after).not.toBe(before);
      expect(h.emulator.state.realmSummary(realmId)!.refreshes).toBeGreaterThanOrEqual(1);
    } finally {
      await h.close();
    }
  };

  it('sends the code exchange and the refresh through HTTP_PROXY when it is set', async () => {
    process.env.HTTP_PROXY = proxy.url;
    await refreshOnce('tenant-proxied');
    expect(proxy.carried.filter((c) => c === 'POST /oauth2/v1/tokens/bearer')).toHaveLength(2);
  });

  it('goes direct, not through the proxy, when NO_PROXY names the token host', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    await refreshOnce('tenant-no-proxy');
    expect(proxy.carried).toEqual([]);
  });

  it('goes direct without proxy settings', async () => {
    await refreshOnce('tenant-direct');
    expect(proxy.carried).toEqual([]);
  });
});
