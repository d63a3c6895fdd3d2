import type { DataSource } from 'typeorm';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { runQuickBooksMigrations } from '@quickbooks-auth/nestjs';
import { describeUpgrade, type UpgradeHarness } from './upgrade-harness';

/**
 * Upgrade in place to refresh protocol v2 on a real database: the schema of the previous release
 * (only its two migrations applied, recorded as that release's runner records them), rows written
 * exactly as its code wrote them, then every migration, then the new storage class. Also the way
 * back: the v2 migration's down() and a second up().
 */

const V2_COLUMNS = [
  'lease_generation',
  'inflight_fp',
  'inflight_owner',
  'inflight_generation',
  'inflight_started_at',
  'inflight_deadline_at',
  'last_error_fp',
];

/** A connection as the previous release's saveConnection (and a lease) left it: its columns only. */
function writeOldRow(
  h: UpgradeHarness,
  ds: DataSource,
  ref: ConnectionRef,
  opts: { status?: string; nextRefreshAt?: number; leaseOwner?: string; leaseExpiresAt?: number } = {},
) {
  const now = Date.now();
  return h.seedConnection(ds, ref, (conn) => ({
    status: opts.status ?? 'active',
    refresh_token_hard_expires_at: conn.refreshTokenHardExpiresAt!.getTime(),
    version: 7,
    lease_owner: opts.leaseOwner ?? null,
    lease_expires_at: opts.leaseExpiresAt ?? null,
    next_refresh_at: opts.nextRefreshAt ?? conn.nextRefreshAt.getTime(),
    next_attempt_at: null,
    last_error_code: opts.status === 'needs_reauth' ? 'invalid_grant' : null,
    last_refreshed_at: now - 3_600_000,
  }));
}

describeUpgrade(
  'TypeOrmTokenStorage: upgrade in place to refresh protocol v2',
  { migration: 'AddRefreshProtocolV21767225800000', servers: ['MariaDB', 'SQLite'], label: 'qb_upgrade' },
  (h) => {
    it('reads, leases, calls and refreshes a row written by the previous release', async () => {
      const old = await h.previousRelease();
      expect(await h.columns(old)).not.toContain('lease_generation');
      const a = { tenantId: 'tenant-upgrade', realmId: 'a' };
      const b = { tenantId: 'tenant-upgrade', realmId: 'b' };
      const c = { tenantId: 'tenant-upgrade', realmId: 'c' };
      // A crashed old replica's lease (expired), a due row, and a row the old release marked needs_reauth.
      const rowA = await writeOldRow(h, old, a, { leaseOwner: 'old-replica', leaseExpiresAt: Date.now() - 60_000 });
      const rowB = await writeOldRow(h, old, b, { nextRefreshAt: Date.now() - 1000 });
      await writeOldRow(h, old, c, { status: 'needs_reauth' });
      await old.destroy();

      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect(await h.columns(ds)).toEqual(expect.arrayContaining(V2_COLUMNS));

      const before = (await storage.get(a))!;
      expect(before).toMatchObject({
        status: 'active',
        accessToken: rowA.accessToken,
        refreshToken: rowA.refreshToken,
        refreshTokenFingerprint: rowA.fingerprint,
        version: 7,
        leaseOwner: 'old-replica',
        leaseGeneration: 0,
        inflight: null,
        lastErrorFingerprint: null,
      });
      expect((await storage.get(c))!).toMatchObject({
        status: 'needs_reauth',
        lastErrorCode: 'invalid_grant',
        leaseGeneration: 0,
        inflight: null,
        lastErrorFingerprint: null,
      });

      // The old replica's expired lease is taken over: generation 1.
      const leased = (await storage.acquireLease(a, 'new-replica', 60_000))!;
      expect(leased).toMatchObject({ leaseOwner: 'new-replica', leaseGeneration: 1, inflight: null, version: 8 });
      const lease = { owner: 'new-replica', generation: 1 };
      // A holder of the old release's owner id (no generation) can no longer write.
      await expect(storage.renewLease(a, { owner: 'old-replica', generation: 0 }, 60_000)).resolves.toBe(false);

      expect(await storage.beginCall(a, lease, { fingerprint: rowA.fingerprint, callBudgetMs: 20_000, ttlMs: 60_000 })).toBe(true);
      const inCall = (await storage.get(a))!;
      expect(inCall.inflight).toMatchObject({ fingerprint: rowA.fingerprint, owner: 'new-replica', generation: 1 });
      expect(inCall.inflight!.deadlineAt.getTime() - inCall.inflight!.startedAt.getTime()).toBe(20_000);

      const now = Date.now();
      const swapped = await storage.compareAndSwapTokens(
        a,
        rowA.fingerprint,
        {
          accessToken: 'AT-after-upgrade',
          refreshToken: 'RT-after-upgrade',
          accessTokenExpiresAt: new Date(now + 3_600_000),
          refreshTokenExpiresAt: new Date(now + 100 * 86_400_000),
          refreshTokenHardExpiresAt: null,
          nextRefreshAt: new Date(now + 2_400_000),
        },
        lease,
      );
      expect(swapped).toMatchObject({
        status: 'active',
        accessToken: 'AT-after-upgrade',
        refreshToken: 'RT-after-upgrade',
        refreshTokenFingerprint: h.cipher.fingerprint('RT-after-upgrade'),
        leaseOwner: null,
        leaseExpiresAt: null,
        leaseGeneration: 1,
        inflight: null,
      });
      expect((await storage.get(a))!.refreshToken).toBe('RT-after-upgrade');
      const dump = JSON.stringify(await ds.query('SELECT * FROM quickbooks_connections'));
      expect(dump).not.toContain('RT-after-upgrade');
      expect(dump).not.toContain(rowB.refreshToken);

      // The due old row is claimed with generation 1.
      const claimed = await storage.claimDue(new Date(), 10, 'claimer', 60_000);
      expect(claimed.map((x) => [x.realmId, x.leaseGeneration, x.refreshToken])).toEqual([['b', 1, rowB.refreshToken]]);
      expect((await storage.stats(new Date(), 0)).byStatus).toEqual({
        active: 2,
        reauth_pending: 0,
        needs_reauth: 1,
        revoke_pending: 0,
        revoked: 0,
      });
    });

    it('up adds only the columns still missing (a half-applied upgrade)', async () => {
      const old = await h.previousRelease();
      await old.query('ALTER TABLE quickbooks_connections ADD COLUMN lease_generation BIGINT NOT NULL DEFAULT 0');
      const ref = { tenantId: 'tenant-half', realmId: '1' };
      const row = await writeOldRow(h, old, ref);
      await old.destroy();

      const { ds, storage, ran } = await h.upgrade();
      expect(ran).toEqual(h.fromThisOne);
      expect((await h.columns(ds)).filter((col) => V2_COLUMNS.includes(col)).sort()).toEqual([...V2_COLUMNS].sort());
      expect((await storage.acquireLease(ref, 'o', 60_000))!).toMatchObject({ refreshToken: row.refreshToken, leaseGeneration: 1 });
    });

    it('down removes the v2 columns, hands reauth_pending rows back as active, and up again works', async () => {
      const old = await h.previousRelease();
      const parked = { tenantId: 'tenant-down', realmId: 'parked' };
      const plain = { tenantId: 'tenant-down', realmId: 'plain' };
      const rowP = await writeOldRow(h, old, parked);
      const rowQ = await writeOldRow(h, old, plain);
      await old.destroy();

      const { ds, storage } = await h.upgrade();
      const leased = (await storage.acquireLease(parked, 'o', 60_000))!;
      const pendingUntil = new Date(Date.now() + 600_000);
      expect(
        await storage.markNeedsReauth(
          parked,
          { owner: 'o', generation: leased.leaseGeneration },
          { fingerprint: rowP.fingerprint, errorCode: 'invalid_grant', pendingUntil },
        ),
      ).toBe(true);
      expect((await storage.get(parked))!.status).toBe('reauth_pending');

      await h.downToPreviousRelease(ds);
      const columns = await h.columns(ds);
      for (const col of V2_COLUMNS) expect(columns).not.toContain(col);
      // What the previous release reads: its own columns, statuses it knows.
      const rows: Array<{ realm_id: string; status: string; refresh_token_fp: string }> = await ds.query(
        'SELECT realm_id, status, refresh_token_fp FROM quickbooks_connections ORDER BY realm_id',
      );
      expect(rows).toEqual([
        { realm_id: 'parked', status: 'active', refresh_token_fp: rowP.fingerprint },
        { realm_id: 'plain', status: 'active', refresh_token_fp: rowQ.fingerprint },
      ]);

      expect(await runQuickBooksMigrations(ds)).toEqual(h.fromThisOne);
      expect(await runQuickBooksMigrations(ds)).toEqual([]);
      expect((await storage.get(plain))!).toMatchObject({ refreshToken: rowQ.refreshToken, leaseGeneration: 0, inflight: null });
      expect((await storage.acquireLease(parked, 'o2', 60_000))!).toMatchObject({
        status: 'active',
        refreshToken: rowP.refreshToken,
        leaseGeneration: 1,
      });
    });
  },
);
