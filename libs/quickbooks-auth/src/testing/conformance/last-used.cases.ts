import type { ConnectionRef } from '../../domain/connection.interface';
import type { TokenStorage } from '../../auth/storage/token-storage.interface';
import { DAY, HOUR, MINUTE, newConnection } from './connection-fixtures';

/**
 * Last use (the proactive 'recent' policy): lastUsedAt as saveConnection and recordUse write it,
 * and recordUse's pull-forward of a keep-alive-only connection. Called inside
 * describeTokenStorageConformance, so every backend runs it.
 */
export function describeLastUsed(ctx: () => { storage: TokenStorage }): void {
  describe('last use (recordUse, proactive recent)', () => {
    const r = (tenantId: string, realmId: string): ConnectionRef => ({ tenantId, realmId });

    it('a new connection has no last use unless saveConnection gives one; a reconnect without one keeps it', async () => {
      const { storage } = ctx();
      const plain = await storage.saveConnection(newConnection(r('tenant-lu', '1')));
      expect(plain.lastUsedAt).toBeNull();
      const usedAt = new Date(Date.now() - 5 * MINUTE);
      const given = await storage.saveConnection(newConnection(r('tenant-lu', '2'), { lastUsedAt: usedAt }));
      expect(given.lastUsedAt?.getTime()).toBe(usedAt.getTime());
      const reconnected = await storage.saveConnection(newConnection(r('tenant-lu', '2')));
      expect(reconnected.lastUsedAt?.getTime()).toBe(usedAt.getTime());
      expect((await storage.get(r('tenant-lu', '2')))!.lastUsedAt?.getTime()).toBe(usedAt.getTime());
      const cleared = await storage.saveConnection(newConnection(r('tenant-lu', '2'), { lastUsedAt: null }));
      expect(cleared.lastUsedAt).toBeNull();
    });

    it('recordUse moves lastUsedAt forward only, without a version bump or touching the schedule', async () => {
      const { storage } = ctx();
      const ref = r('tenant-lu-rec', '1');
      const saved = await storage.saveConnection(newConnection(ref));
      const t1 = new Date(Date.now() + MINUTE);
      await storage.recordUse!(ref, { usedAt: t1, pullForward: null });
      let got = (await storage.get(ref))!;
      expect(got.lastUsedAt?.getTime()).toBe(t1.getTime());
      expect(got.version).toBe(saved.version);
      expect(got.nextRefreshAt.getTime()).toBe(saved.nextRefreshAt.getTime());
      expect(got.refreshToken).toBe(saved.refreshToken);
      await storage.recordUse!(ref, { usedAt: new Date(t1.getTime() - HOUR), pullForward: null });
      got = (await storage.get(ref))!;
      expect(got.lastUsedAt?.getTime()).toBe(t1.getTime());
      // A later refresh keeps it.
      const lease = (await storage.acquireLease(ref, 'holder', MINUTE))!;
      const swapped = await storage.compareAndSwapTokens(
        ref,
        lease.refreshTokenFingerprint,
        {
          accessToken: `AT-${'x'.repeat(40)}`,
          refreshToken: `RT-${'y'.repeat(40)}`,
          accessTokenExpiresAt: new Date(Date.now() + HOUR),
          refreshTokenExpiresAt: new Date(Date.now() + 100 * DAY),
          refreshTokenHardExpiresAt: null,
          nextRefreshAt: new Date(Date.now() + 30 * MINUTE),
        },
        { owner: 'holder', generation: lease.leaseGeneration },
      );
      expect(swapped?.lastUsedAt?.getTime()).toBe(t1.getTime());
    });

    it('pullForward brings a keep-alive-only connection forward, only while its access token is the one the schedule was computed from', async () => {
      const { storage } = ctx();
      const ref = r('tenant-lu-pull', '1');
      const keepAlive = new Date(Date.now() + DAY);
      const saved = await storage.saveConnection(newConnection(ref, { nextRefreshAt: keepAlive }));
      const refreshAt = new Date(Date.now() - MINUTE);
      // Computed from another (older) token: the schedule stays.
      await storage.recordUse!(ref, {
        usedAt: new Date(),
        pullForward: { accessTokenExpiresAt: new Date(saved.accessTokenExpiresAt.getTime() - 1), refreshAt },
      });
      expect((await storage.get(ref))!.nextRefreshAt.getTime()).toBe(keepAlive.getTime());
      expect(await storage.claimDue(new Date(), 10, 'claimer', MINUTE)).toEqual([]);
      await storage.recordUse!(ref, { usedAt: new Date(), pullForward: { accessTokenExpiresAt: saved.accessTokenExpiresAt, refreshAt } });
      const got = (await storage.get(ref))!;
      expect(got.nextRefreshAt.getTime()).toBe(refreshAt.getTime());
      // Never later: a pull to a later time leaves the earlier schedule.
      await storage.recordUse!(ref, {
        usedAt: new Date(),
        pullForward: { accessTokenExpiresAt: saved.accessTokenExpiresAt, refreshAt: new Date(Date.now() + HOUR) },
      });
      expect((await storage.get(ref))!.nextRefreshAt.getTime()).toBe(refreshAt.getTime());
      // The scheduler now finds it due.
      const claimed = await storage.claimDue(new Date(), 10, 'claimer', MINUTE);
      expect(claimed.map((c) => c.realmId)).toEqual(['1']);
    });

    it('an imported connection without an access token reads back expired, with its refresh token and no last use', async () => {
      const { storage } = ctx();
      const ref = r('tenant-lu-import', '1');
      const input = newConnection(ref, {
        accessToken: '',
        accessTokenExpiresAt: new Date(0),
        lastUsedAt: null,
        refreshTokenHardExpiresAt: null,
      });
      const stored = await storage.saveConnection(input);
      for (const c of [stored, (await storage.get(ref))!]) {
        expect(c).toMatchObject({ status: 'active', accessToken: '', refreshToken: input.refreshToken, lastUsedAt: null });
        expect(c.accessTokenExpiresAt.getTime()).toBe(0);
      }
      // Refreshing it works as for any connection: the lease and the swap fence on its refresh token.
      const leased = (await storage.acquireLease(ref, 'importer', MINUTE))!;
      expect(leased.refreshToken).toBe(input.refreshToken);
    });

    it('leaves a connection that is not active, or does not exist, alone', async () => {
      const { storage } = ctx();
      const ref = r('tenant-lu-gone', '1');
      await storage.saveConnection(newConnection(ref));
      await storage.markRevoked(ref);
      await storage.recordUse!(ref, { usedAt: new Date(), pullForward: null });
      expect((await storage.getRecord(ref)) as { lastUsedAt: Date | null }).toMatchObject({ status: 'revoked', lastUsedAt: null });
      await expect(storage.recordUse!(r('tenant-lu-gone', 'never'), { usedAt: new Date(), pullForward: null })).resolves.toBeUndefined();
      expect(await storage.get(r('tenant-lu-gone', 'never'))).toBeNull();
    });
  });
}
