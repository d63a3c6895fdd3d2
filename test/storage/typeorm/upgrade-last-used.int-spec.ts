import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs';
import { describeUpgrade, type UpgradeHarness } from './upgrade-harness';

/**
 * Upgrade in place to last use (migration 1767226100000) on real databases: the pending-revocation
 * schema of the previous release, a row written as it wrote them, then the migration and the new
 * storage class (the old row reads as never used, recordUse works on it); and back: down() drops
 * the column, up() works again. Migrations here run through TypeORM's own runner.
 */

/** The pending-revocation release: every migration before this one, and a row as it wrote them. */
async function previousRelease(h: UpgradeHarness, ref: ConnectionRef): Promise<{ refreshToken: string; nextRefreshAt: number }> {
  const ds = await h.previousRelease();
  const row = await h.seedConnection(ds, ref, { lease_generation: 2 });
  await ds.destroy();
  return row;
}

/** The new release's DataSource, every migration listed, none run yet. */
const newRelease = (h: UpgradeHarness) => h.dataSource({ entities: [...QUICKBOOKS_AUTH_ENTITIES], migrations: h.migrations });

describeUpgrade(
  'TypeOrmTokenStorage: upgrade in place to last use',
  { migration: 'AddLastUsed1767226100000', servers: ['MariaDB', 'PostgreSQL', 'SQLite'], label: 'qb_upgrade_lu' },
  (h) => {
    it('adds the column; an old row reads as never used, and recordUse then records on it', async () => {
      const ref = { tenantId: 'tenant-upgrade-lu', realmId: '1' };
      const old = await previousRelease(h, ref);
      const ds = await newRelease(h);
      expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(h.fromThisOne);
      expect(await h.columns(ds)).toContain('last_used_at');
      const storage = new TypeOrmTokenStorage(ds, h.cipher);
      expect((await storage.get(ref))!).toMatchObject({ status: 'active', refreshToken: old.refreshToken, version: 3, lastUsedAt: null });
      const usedAt = new Date();
      await storage.recordUse(ref, { usedAt, pullForward: null });
      expect((await storage.get(ref))!).toMatchObject({ version: 3, lastUsedAt: usedAt, nextRefreshAt: new Date(old.nextRefreshAt) });
    });

    it('down drops the column (the previous release reads the row as it was); up again works', async () => {
      const ref = { tenantId: 'tenant-down-lu', realmId: '1' };
      await previousRelease(h, ref);
      const ds = await newRelease(h);
      await ds.runMigrations({ transaction: 'each' });
      await new TypeOrmTokenStorage(ds, h.cipher).recordUse(ref, { usedAt: new Date(), pullForward: null });
      await h.downToPreviousRelease(ds);
      expect(await h.columns(ds)).not.toContain('last_used_at');
      expect(await ds.query('SELECT status FROM quickbooks_connections')).toEqual([{ status: 'active' }]);
      expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(h.fromThisOne);
      expect(await ds.runMigrations({ transaction: 'each' })).toEqual([]);
      expect((await new TypeOrmTokenStorage(ds, h.cipher).get(ref))!.lastUsedAt).toBeNull();
    });

    it('up is safe to run again over a column that already exists (a half-applied upgrade)', async () => {
      const ref = { tenantId: 'tenant-half-lu', realmId: '1' };
      await previousRelease(h, ref);
      const ds = await newRelease(h);
      await ds.query('ALTER TABLE quickbooks_connections ADD COLUMN last_used_at BIGINT NULL');
      expect((await ds.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(h.fromThisOne);
      expect((await h.columns(ds)).filter((c) => c === 'last_used_at')).toEqual(['last_used_at']);
    });
  },
);
