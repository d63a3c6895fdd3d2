import request from 'supertest';
import type { App } from 'supertest/types';
import { KEY_A, KEY_B, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

const DAY_S = 86_400;

/**
 * The example app's connection lifecycle routes over real HTTP (demo mode: SQLite, in-process
 * emulator): the page shows each connection's 5-year deadline and offers Reconnect when it is
 * near; the Reconnect URL route re-binds the same company (another one is refused with 409);
 * the Disconnect URL route is public, answers every request the same way at once, and closes a
 * connection only when Intuit confirms the customer disconnected it in QuickBooks.
 */
describe('example app: reconnect and disconnect-in-QuickBooks routes', () => {
  const data = tempDataDir();
  let h: ExampleAppHandle;
  const api = () => request(h.app.getHttpServer() as App);

  /** connect (or reconnect) → emulator consent for `realmId` (or a new company) → callback. */
  async function consent(key: string, startPath: string, realmId?: string): Promise<request.Response> {
    const start = await api().get(startPath).set('x-api-key', key).expect(302);
    h.emulator.state.setAutoApprove(true, realmId);
    const approved = await fetch(start.headers.location, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get('location')!);
    return api().get(`${callback.pathname}${callback.search}`).set('x-api-key', key);
  }
  async function connectNew(key: string): Promise<string> {
    const res = await consent(key, '/quickbooks/connect');
    expect(res.status).toBe(200);
    return res.body.connection.realmId as string;
  }
  const connection = async (key: string, realmId: string) =>
    (await api().get(`/quickbooks/connections/${realmId}`).set('x-api-key', key)).body;
  /** Waits (bounded) for a background effect, polling: no fixed sleeps. */
  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    h = await startExampleApp({ dataDir: data.dir });
  });
  afterAll(async () => {
    await h?.close();
    data.remove();
  });

  it('shows the 5-year deadline on the page and offers Reconnect when it is near', async () => {
    h.emulator.state.updateConfig({ hardExpirySeconds: 20 * DAY_S }); // a grant made 4 years 11 months ago
    const near = await connectNew(KEY_A);
    h.emulator.state.updateConfig({ hardExpirySeconds: 5 * 365 * DAY_S });
    const far = await connectNew(KEY_A);
    const view = await connection(KEY_A, near);
    expect(Date.parse(view.refreshTokenHardExpiresAt) - Date.now()).toBeLessThan(21 * DAY_S * 1000);
    const page = (await api().get('/').set('x-api-key', KEY_A).expect(200)).text;
    const row = (realm: string) =>
      page.slice(page.indexOf(`data-realm-id="${realm}"`), page.indexOf('</tr>', page.indexOf(`data-realm-id="${realm}"`)));
    expect(page).toContain('Reconnect by (5-year limit)');
    expect(row(near)).toContain('data-reconnect-soon');
    expect(row(near)).toContain(`href="/quickbooks/reconnect?realmId=${near}"`);
    expect(row(near)).toMatch(/in (19|20) days/);
    expect(row(far)).not.toContain('data-reconnect-soon');
    expect(row(far)).not.toContain('data-action="reconnect"');
  });

  it('the Reconnect URL route re-binds the same company with a new 5-year grant; another company is refused (409)', async () => {
    const near = (await api().get('/quickbooks/connections').set('x-api-key', KEY_A)).body.connections.find(
      (c: { refreshTokenHardExpiresAt: string }) => Date.parse(c.refreshTokenHardExpiresAt) - Date.now() < 30 * DAY_S * 1000,
    ).realmId as string;
    await api().get(`/quickbooks/reconnect?realmId=${near}`).expect(401);
    await api().get(`/quickbooks/reconnect?realmId=${near}`).set('x-api-key', KEY_B).expect(404); // another tenant's company
    await api().get('/quickbooks/reconnect?realmId=not-a-realm').set('x-api-key', KEY_A).expect(404);
    await api().get('/quickbooks/reconnect').set('x-api-key', KEY_A).expect(404);

    const wrong = await consent(KEY_A, `/quickbooks/reconnect?realmId=${near}`, '4620816365999999999');
    expect(wrong.status).toBe(409);
    expect(wrong.body).toMatchObject({ error: 'reconnect_realm_mismatch', realmId: near });
    await api().get('/quickbooks/connections/4620816365999999999').set('x-api-key', KEY_A).expect(404);

    const ok = await consent(KEY_A, `/quickbooks/reconnect?realmId=${near}`, near);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ reconnected: true, connection: { realmId: near, status: 'active' } });
    expect(Date.parse(ok.body.connection.refreshTokenHardExpiresAt) - Date.now()).toBeGreaterThan(4 * 365 * DAY_S * 1000);
    const page = (await api().get('/').set('x-api-key', KEY_A)).text;
    expect(page).not.toContain('data-reconnect-soon');
  });

  it('the Disconnect URL route answers every request the same, at once, and never closes a healthy connection', async () => {
    const healthy = await connectNew(KEY_A);
    const refreshes = () => h.emulator.state.realmSummary(healthy)?.refreshes ?? 0;
    const before = refreshes();
    const answers = await Promise.all(
      [`?realmId=${healthy}`, '?realmId=9876543210123', '?realmId=x%27%20OR%201=1', ''].map((q) =>
        api().get(`/quickbooks/disconnected${q}`),
      ),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).toBe(answers[0].text);
      expect(a.headers['content-type']).toBe(answers[0].headers['content-type']);
    }
    expect(answers[0].text).toContain('QuickBooks disconnected');
    // The background check refreshed it with Intuit, which still knows it: kept.
    await until(async () => refreshes() > before, 'the landing to check with Intuit');
    await until(async () => (await connection(KEY_A, healthy)).lastRefreshedAt !== null, 'the refresh to be stored');
    expect((await connection(KEY_A, healthy)).status).toBe('active');
    await api().get(`/quickbooks/connections/${healthy}/company-info`).set('x-api-key', KEY_A).expect(200);
  });

  it('a customer disconnecting in QuickBooks (emulator: revoke-realm visiting the Disconnect URL) closes the connection', async () => {
    const realm = await connectNew(KEY_A);
    const res = await fetch(`${h.emulator.url}/_emulator/revoke-realm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ realmId: realm, disconnectUrl: `${h.baseUrl}/quickbooks/disconnected` }),
    });
    expect(await res.json()).toEqual({ realmId: realm, revokedGrants: 1, disconnectUrlStatus: 200 });
    await until(
      async () => (await api().get(`/quickbooks/connections/${realm}`).set('x-api-key', KEY_A)).status === 404,
      'the connection to be closed',
    );
    expect(
      (await api().get('/quickbooks/connections').set('x-api-key', KEY_A)).body.connections.map((c: { realmId: string }) => c.realmId),
    ).not.toContain(realm);
    expect(h.logs.join('\n')).toContain('disconnected in QuickBooks by the customer');
  });
});
