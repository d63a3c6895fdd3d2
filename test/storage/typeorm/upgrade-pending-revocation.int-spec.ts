import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { newConnection } from '../support/storage-fixtures';
import { describeUpgrade, type UpgradeHarness } from './upgrade-harness';

/**
 * Upgrade in place to pending revocations (migration 1767225900000) on a real database: the
 * refresh protocol v2 schema of the previous release, a row written as it wrote them, then every
 * migration and the new storage class; and back: down() hands revoke_pending rows to the previous
 * release as revoked, drops the columns and the index, and up() works again.
 */

const REVOKE_COLUMNS = ['revoke_token_enc', 'revoke_token_fp', 'revoke_due_at', 'revoke_attempts'];
const INDEX = 'idx_quickbooks_connections_revoke_due';

/** The refresh protocol v2 release: its three migrations, and a row as its saveConnection wrote it. */
async function previousRelease(h: UpgradeHarness, ref: ConnectionRef): Promise<{ refreshToken: string }> {
  const ds = await h.previousRelease();
  const { refreshToken } = await h.seedConnection(ds, ref, { lease_generation: 2 });
  await ds.destroy();
  return { refreshToken };
}

describeUpgrade(
  'TypeOrmTokenStorage: upgrade in place to pending revocations',
  { migration: 'AddPendingRevocation1767225900000', servers: ['MariaDB', 'SQLite'], label: 'qb_upgrade_rv' },
  (h) => {
    it('adds the columns and index; an old row reads as nothing pending, and a reconnect retires its token', async () => {
      const ref = { tenantId: 'tenant-upgrade-rv', realmId: '1' };
      const old = await previousRelease(h, ref);
      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect(await h.columns(ds)).toEqual(expect.arrayContaining(REVOKE_COLUMNS));
      expect(await h.hasIndex(ds, INDEX)).toBe(true);
      expect((await storage.get(ref))!).toMatchObject({ status: 'active', refreshToken: old.refreshToken, version: 3, leaseGeneration: 2 });
      expect(await storage.claimRevocations(new Date(Date.now() + 86_400_000), 10, 60_000)).toEqual([]);
      await storage.saveConnection(newConnection(ref.tenantId, ref.realmId));
      expect(await storage.claimRevocations(new Date(), 10, 60_000)).toEqual([
        expect.objectContaining({ ...ref, refreshToken: old.refreshToken, attempts: 0 }),
      ]);
    });

    it('up adds only what is missing (a half-applied upgrade)', async () => {
      const ref = { tenantId: 'tenant-half-rv', realmId: '1' };
      await previousRelease(h, ref);
      const half = await h.dataSource();
      await half.query('ALTER TABLE quickbooks_connections ADD COLUMN revoke_token_fp VARCHAR(128) NULL');
      await half.destroy();
      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect((await h.columns(ds)).filter((c) => REVOKE_COLUMNS.includes(c)).sort()).toEqual([...REVOKE_COLUMNS].sort());
      await expect(storage.markRevokePending(ref, { retryAt: new Date(), errorCode: 'oauth_error' })).resolves.toBe(true);
    });

    it('down hands revoke_pending rows back as revoked and drops columns and index; up again works', async () => {
      const ref = { tenantId: 'tenant-down-rv', realmId: '1' };
      await previousRelease(h, ref);
      const { ds, storage } = await h.upgrade();
      await storage.markRevokePending(ref, { retryAt: new Date(), errorCode: 'oauth_error' });
      await h.downToPreviousRelease(ds);
      const columns = await h.columns(ds);
      for (const col of REVOKE_COLUMNS) expect(columns).not.toContain(col);
      expect(await h.hasIndex(ds, INDEX)).toBe(false);
      // The previous release knows no revoke_pending: it reads a revoked row (tokens already wiped).
      expect(await ds.query('SELECT status, refresh_token_enc FROM quickbooks_connections')).toEqual([
        { status: 'revoked', refresh_token_enc: null },
      ]);
      expect(await runQuickBooksMigrations(ds)).toEqual(h.fromThisOne);
      expect(await runQuickBooksMigrations(ds)).toEqual([]);
      expect((await storage.get(ref))!.status).toBe('revoked');
    });
  },
);
