import { Client } from 'pg';
import { createScratchPostgresDatabase } from '../support/postgres';
import { KEY_A, startExampleApp, tempDataDir, type ExampleAppHandle } from './example-app.harness';

/**
 * "QB_STORAGE=typeorm with a postgres:// DATABASE_URL just works": the example app configured by
 * environment variables alone migrates an empty PostgreSQL database at boot, connects a realm
 * through the consent flow, calls QBO with the stored token, and what lands in the table is
 * ciphertext.
 */
describe('example app on PostgreSQL by environment alone', () => {
  const data = tempDataDir();
  let db: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let h: ExampleAppHandle;

  beforeAll(async () => {
    db = await createScratchPostgresDatabase('qb_example');
    h = await startExampleApp({
      dataDir: data.dir,
      env: { QB_STORAGE: 'typeorm', DATABASE_URL: db.url.replace(/^postgres:/, 'postgresql:') },
    });
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
    data.remove();
  });

  it('migrates at boot, connects a realm, serves company-info and stores only ciphertext', async () => {
    const started = await fetch(`${h.baseUrl}/quickbooks/connect`, { headers: { 'x-api-key': KEY_A }, redirect: 'manual' });
    h.emulator.state.setAutoApprove(true);
    const consent = await fetch(started.headers.get('location')!, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    const done = await fetch(`${h.baseUrl}${callback.pathname}${callback.search}`, {
      headers: { 'x-api-key': KEY_A, accept: 'application/json' },
    });
    expect(done.status).toBe(200);
    const realmId = ((await done.json()) as { connection: { realmId: string } }).connection.realmId;

    const info = await fetch(`${h.baseUrl}/quickbooks/connections/${realmId}/company-info`, {
      headers: { 'x-api-key': KEY_A, accept: 'application/json' },
    });
    expect(info.status).toBe(200);
    expect(((await info.json()) as { companyInfo?: { CompanyName?: string } }).companyInfo?.CompanyName).toContain(realmId);

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ tenant_id: string; realm_id: string; refresh_token_enc: string }>(
        'SELECT tenant_id, realm_id, refresh_token_enc FROM quickbooks_connections',
      );
      expect(rows).toEqual([expect.objectContaining({ tenant_id: 'tenant-a', realm_id: realmId })]);
      const grant = h.emulator.state.store.grantsByRealm.get(realmId)!.at(-1)!;
      expect(rows[0].refresh_token_enc).not.toContain(grant.current.value);
      const migrations = await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
      // The PostgreSQL migration set ran, not the MySQL one.
      expect(migrations.rows.length).toBeGreaterThanOrEqual(4);
      for (const { name } of migrations.rows) expect(name).toMatch(/Postgres\d{13}$/);
    } finally {
      await client.end();
    }
  });
});
