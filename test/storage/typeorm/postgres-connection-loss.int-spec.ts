/**
 * A PostgreSQL connection that dies under a statement in flight (a network cut, a failover, a
 * proxy or load balancer resetting sockets) must fail that one call with a typed error and
 * leave the process running: pg emits 'error' on a checked-out client whose socket closes, and
 * a client with no listener throws it as an uncaught exception, which takes the replica down.
 * (Found by `npm run chaos -- --store postgres`: a store outage crashed a replica.)
 */
import { Client } from 'pg';
import { StorageError } from '@quickbooks-auth/nestjs';
import { createScratchPostgresDatabase } from '../../support/postgres';
import { TcpProxy } from '../../support/tcp-proxy';
import { connectTenant, startHarness, type Harness } from '../../support/quickbooks-harness';

describe('PostgreSQL storage: a connection cut under a statement', () => {
  let db: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  let proxy: TcpProxy;
  let h: Harness;
  let admin: Client;
  let ref: { tenantId: string; realmId: string };

  beforeAll(async () => {
    db = await createScratchPostgresDatabase('qb_pgloss');
    const direct = new URL(db.url);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(db.url);
    proxied.port = String(await proxy.start());
    // The module reaches the server through the proxy; no token cache, so every read goes to it.
    h = await startHarness({ storage: { type: 'typeorm', url: proxied.toString() }, options: { accessTokenCacheSeconds: 0 } });
    ref = { tenantId: 'tenant-loss', realmId: await connectTenant(h, 'tenant-loss') };
    admin = new Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await h?.close();
    await proxy?.close();
    await db?.drop();
  });

  /** Backends of this database (other than ours) waiting on a lock: the module's statement in flight. */
  const blockedBackends = async (): Promise<number> => {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
    );
    return Number(rows[0].n);
  };

  it('fails the read in flight with StorageError, stays up, and serves once the network is back', async () => {
    // The table lock holds the module's hot read on the server, so it is in flight when the cut comes.
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE quickbooks_connections IN ACCESS EXCLUSIVE MODE');
    const read = h.storage.get(ref).then(
      () => 'served',
      (err: unknown) => err,
    );
    for (let i = 0; i < 200 && (await blockedBackends()) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await blockedBackends()).toBeGreaterThan(0);
    proxy.cut(); // a bare reset: no error message from the server first
    expect(await read).toBeInstanceOf(StorageError);
    await admin.query('COMMIT');
    proxy.restore();

    // The dead client left the pool: the next calls get a live one.
    await expect(h.storage.get(ref)).resolves.toMatchObject({ realmId: ref.realmId, status: 'active' });
    await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
  });
});
