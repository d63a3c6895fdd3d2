import { runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { describeUpgrade } from './upgrade-harness';

/**
 * Upgrade in place to the hard-expiry lifecycle (migration 1767226000000) on real databases: a row
 * written by the previous release (pending-revocation schema) reads as "no warning sent yet", can
 * be warned once and listed by the reconnect campaign; a half-applied upgrade completes; down()
 * drops the column and index, and up() works again.
 */

const DAY = 86_400_000;
const INDEX = 'idx_quickbooks_connections_hard_expiry';
/** The previous release's row: lease generation 2, hard expiry 10 days out. */
const oldRow = () => ({ lease_generation: 2, refresh_token_hard_expires_at: Date.now() + 10 * DAY });

describeUpgrade(
  'TypeOrmTokenStorage: upgrade in place to the hard-expiry lifecycle',
  { migration: 'AddConnectionLifecycle1767226000000', servers: ['MariaDB', 'PostgreSQL', 'SQLite'], label: 'qb_upgrade_rc' },
  (h) => {
    it('adds the column and index; an old row reads as not warned, is warned once and is listed', async () => {
      const ref = { tenantId: 'tenant-upgrade-rc', realmId: '1' };
      await h.seedConnection(await h.previousRelease(), ref, oldRow());
      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect(await h.columns(ds)).toContain('reconnect_warned_days');
      expect(await h.hasIndex(ds, INDEX)).toBe(true);
      expect((await storage.get(ref))!).toMatchObject({ status: 'active', version: 3, reconnectWarnedDays: null });
      await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(true);
      await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(false);
      const page = await storage.listReconnectDue(new Date(Date.now() + 30 * DAY), null, 10);
      expect(page.connections).toEqual([expect.objectContaining({ ...ref, reconnectWarnedDays: 30 })]);
    });

    it('up adds only what is missing (a half-applied upgrade)', async () => {
      const ref = { tenantId: 'tenant-half-rc', realmId: '1' };
      const half = await h.previousRelease();
      await h.seedConnection(half, ref, oldRow());
      await half.query('ALTER TABLE quickbooks_connections ADD COLUMN reconnect_warned_days INTEGER NULL');
      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect((await h.columns(ds)).filter((c) => c === 'reconnect_warned_days')).toHaveLength(1);
      expect(await h.hasIndex(ds, INDEX)).toBe(true);
      await expect(storage.claimReconnectWarning(ref, 30, new Date())).resolves.toBe(true);
    });

    it('down drops the column and index and keeps the row; up again works', async () => {
      const ref = { tenantId: 'tenant-down-rc', realmId: '1' };
      await h.seedConnection(await h.previousRelease(), ref, oldRow());
      const { ds, storage } = await h.upgrade();
      await storage.claimReconnectWarning(ref, 30, new Date());
      await h.downToPreviousRelease(ds);
      expect(await h.columns(ds)).not.toContain('reconnect_warned_days');
      expect(await h.hasIndex(ds, INDEX)).toBe(false);
      expect(await ds.query('SELECT status FROM quickbooks_connections')).toEqual([{ status: 'active' }]);
      expect(await runQuickBooksMigrations(ds)).toEqual(h.fromThisOne);
      expect((await storage.get(ref))!).toMatchObject({ status: 'active', reconnectWarnedDays: null });
    });
  },
);
