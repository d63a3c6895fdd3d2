import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import {
  ConnectionNotFoundError,
  ConnectionUndecryptableError,
  DecryptionError,
  QuickBooksHealthIndicator,
  type StoredConnection,
} from '@quickbooks-auth/nestjs';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { FilePaths } from '@quickbooks-auth/nestjs/auth/storage/file/file-paths';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore, type ScratchStore } from '../support/scratch-stores';
import { TEST_CLIENT } from '../support/test-keys';

/** A durable store shared by two app generations: one under the old key, one after it was removed. */
const BACKENDS: Array<[string, () => Promise<ScratchStore>]> = [
  ['TypeORM on SQLite', () => openScratchStore('sqlite', 'qb-undec')],
  ['TypeORM on MariaDB', () => openScratchStore('mariadb', 'qb_undec')],
  ['Redis', () => openScratchStore('redis', 'qbundec')],
  ['file', () => openScratchStore('file', 'qb-undec')],
];

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** A counter or gauge sample from the process registry (0 when the series does not exist yet). */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return found?.value ?? 0;
}

/**
 * Issue 14, item 4: a row under a removed key (or tampered) must affect only that connection.
 * Real stores, the emulator over HTTP; the "removed key" is a second app generation started with
 * a key ring that no longer holds the key the row was written under.
 */
describe.each(BACKENDS)('undecryptable connections are recoverable (%s)', (_name, makeStore) => {
  let emulator: RunningEmulator;
  let store: ScratchStore;
  let app: Harness | null = null;
  let tenant: string;
  let bad: { tenantId: string; realmId: string };
  let good: { tenantId: string; realmId: string };
  let badTokens: StoredConnection;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  /** A fresh store; one connection written under k1, then the app restarted with k1 removed and a second connection under k2. */
  beforeEach(async () => {
    store = await makeStore();
    tenant = `tenant-${randomBytes(4).toString('hex')}`;
    const old = await startHarness({ storage: store.storage, emulator, options: { encryptionKeys: key('k1') } });
    bad = { tenantId: tenant, realmId: await connectTenant(old, tenant) };
    badTokens = (await old.storage.get(bad))!;
    await old.close();
    app = await startHarness({ storage: store.storage, emulator, options: { encryptionKeys: key('k2'), leaseTtlMs: 60_000 } });
    good = { tenantId: tenant, realmId: await connectTenant(app, tenant) };
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await store?.cleanup();
  });

  const secrets = () => [badTokens.accessToken, badTokens.refreshToken];

  it('lists and summarises it marked undecryptable; only that connection is refused, with a typed 409-able error', async () => {
    const h = app!;
    const list = await h.tokens.listConnections(tenant);
    expect(list.map((c) => [c.realmId, c.undecryptable]).sort()).toEqual(
      [
        [bad.realmId, true],
        [good.realmId, false],
      ].sort(),
    );
    expect(await h.tokens.getConnection(bad)).toMatchObject({ ...bad, undecryptable: true });
    expect(await h.tokens.getConnection(good)).toMatchObject({ ...good, undecryptable: false, status: 'active' });

    const err = await h.tokens.getAccessToken(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionUndecryptableError);
    expect(err).toBeInstanceOf(DecryptionError);
    expect(err).toMatchObject({ code: 'connection_undecryptable', tenantId: bad.tenantId, realmId: bad.realmId });
    const fn = jest.fn();
    await expect(h.tokens.withAccessToken(bad, fn)).rejects.toBeInstanceOf(ConnectionUndecryptableError);
    expect(fn).not.toHaveBeenCalled();
    await expect(h.tokens.getAccessToken(good)).resolves.toEqual(expect.any(String));

    const said = `${JSON.stringify(list)} ${(err as Error).message} ${(err as Error).stack} ${h.logs.text()}`;
    for (const secret of secrets()) expect(said).not.toContain(secret);
  });

  it('reconnecting overwrites it: the new grant is stored, nothing is left live at Intuit unstored', async () => {
    const h = app!;
    const { url } = await h.connect.createAuthorizeUrl({ tenantId: tenant });
    h.emulator.state.setAutoApprove(true, bad.realmId);
    const res = await fetch(url, { redirect: 'manual' });
    const query = Object.fromEntries(new URL(res.headers.get('location')!).searchParams);
    const result = await h.connect.handleCallback({ query, expectedTenantId: tenant });
    expect(result).toMatchObject({ reconnected: true, connection: { ...bad, status: 'active', undecryptable: false } });

    const stored = (await h.storage.get(bad))!;
    expect(emulator.state.store.refreshTokens.has(stored.refreshToken)).toBe(true);
    await expect(h.tokens.getAccessToken(bad)).resolves.toBe(stored.accessToken);
    expect((await h.tokens.listConnections(tenant)).every((c) => !c.undecryptable)).toBe(true);
  });

  it('disconnecting marks it revoked and wipes it (nothing to revoke at Intuit without the token)', async () => {
    const h = app!;
    await expect(h.connect.disconnect(bad)).resolves.toEqual({ revokedAtIntuit: false });
    expect(await h.tokens.getConnection(bad)).toMatchObject({ status: 'revoked', undecryptable: false });
    expect(await h.storage.get(bad)).toMatchObject({ status: 'revoked', accessToken: '', refreshToken: '' });
    await expect(h.tokens.getAccessToken(bad)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    await expect(h.connect.disconnect(bad)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    await expect(h.tokens.getAccessToken(good)).resolves.toEqual(expect.any(String));
  });

  it('the scheduler logs it (ids only, once), counts it in a metric, and health turns degraded until it is repaired', async () => {
    const h = app!;
    const scheduler = h.app.get(RefreshScheduler);
    const health = h.app.get(QuickBooksHealthIndicator);
    expect((await health.isHealthy()).quickbooks).toMatchObject({ status: 'up', undecryptableConnections: 0 });
    const claimsBefore = await sample('quickbooks_undecryptable_rows_total', { operation: 'claim' });

    emulator.state.clock.advance(2 * 3600); // both connections are due
    await scheduler.tick();
    expect(scheduler.counters.undecryptable).toBe(1);
    expect(scheduler.counters.refreshed).toBe(1); // the good one is refreshed as usual
    await scheduler.tick(); // met again (or still leased): never a second log line for it
    const lines = h.logs.lines.filter((l) => l.includes('cannot be decrypted'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`tenant=${bad.tenantId} realm=${bad.realmId}`);
    expect(lines[0]).toContain('skipped by the refresh scheduler');
    for (const secret of secrets()) expect(h.logs.text()).not.toContain(secret);

    expect(await sample('quickbooks_undecryptable_rows_total', { operation: 'claim' })).toBeGreaterThanOrEqual(claimsBefore + 1);
    expect(await register.metrics()).toMatch(/^quickbooks_undecryptable_connections 1$/m);
    const degraded = await health.isHealthy();
    expect(degraded.quickbooks).toMatchObject({ status: 'up', degraded: true, undecryptableConnections: 1 });
    expect(JSON.stringify(degraded)).not.toContain(bad.tenantId);
    expect(JSON.stringify(degraded)).not.toContain(bad.realmId);

    await h.connect.disconnect(bad);
    expect((await health.isHealthy()).quickbooks).toMatchObject({ status: 'up', undecryptableConnections: 0 });
    expect((await health.isHealthy()).quickbooks.degraded).toBeUndefined();
    expect(await register.metrics()).toMatch(/^quickbooks_undecryptable_connections 0$/m);
  });
});

/** The callback reads the old row before it redeems the code, so a row it cannot read never costs a grant. */
describe('the connect callback reads the old row before the code exchange (file storage)', () => {
  let emulator: RunningEmulator;
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    dir = mkdtempSync(join(tmpdir(), 'qb-undec-order-'));
    h = await startHarness({ storage: { type: 'file', directory: dir }, emulator });
  });
  afterAll(async () => {
    await h?.close();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a row that cannot be read at all fails the callback with the code still unredeemed and no grant at Intuit', async () => {
    const tenant = 'tenant-order';
    const realmId = await connectTenant(h, tenant);
    const grantsBefore = emulator.state.store.grantsByRealm.get(realmId)?.length ?? 0;
    writeFileSync(new FilePaths(dir).connectionFile({ tenantId: tenant, realmId }), 'not a connection file');

    const { url } = await h.connect.createAuthorizeUrl({ tenantId: tenant });
    h.emulator.state.setAutoApprove(true, realmId);
    const res = await fetch(url, { redirect: 'manual' });
    const query = Object.fromEntries(new URL(res.headers.get('location')!).searchParams);
    await expect(h.connect.handleCallback({ query, expectedTenantId: tenant })).rejects.toMatchObject({ code: 'storage_corrupt' });
    expect(emulator.state.store.codes.get(query.code)?.usedAt).toBeNull();
    expect(emulator.state.store.grantsByRealm.get(realmId)?.length ?? 0).toBe(grantsBefore);
  });
});
