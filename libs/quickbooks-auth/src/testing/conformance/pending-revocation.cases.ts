import type { ConnectionRef } from '../../domain/connection.interface';
import type { NewConnection, TokenStorage } from '../../auth/storage/token-storage.interface';
import { DAY, HOUR, MINUTE, newConnection, token } from './connection-fixtures';
import type { ConformanceHarness } from './conformance-harness';

/** A connection as the connect flow writes it (no hard expiry known). */
function connection(r: ConnectionRef, overrides: Partial<NewConnection> = {}): NewConnection {
  return newConnection(r, { refreshTokenHardExpiresAt: null, ...overrides });
}

export interface PendingRevocationContext {
  storage: TokenStorage;
  harness: ConformanceHarness;
  /** The key ring the store was opened with. */
  keysSpec: string;
  /** A fresh `id:base64` key entry. */
  newKey(id: string): string;
  /** Stores to close after the test. */
  track(storage: TokenStorage): void;
}

/**
 * Pending revocations (grants left at Intuit): a reconnect's replaced refresh token and a
 * disconnect Intuit did not confirm (revoke_pending) are kept, sealed, until a revoke is settled.
 * Called inside describeTokenStorageConformance, so every backend runs it.
 */
export function describePendingRevocation(ctx: () => PendingRevocationContext): void {
  describe('pending revocations: replaced grants and revoke_pending', () => {
    const r = (tenantId: string, realmId: string): ConnectionRef => ({ tenantId, realmId });
    const now = () => new Date();
    const later = (ms: number) => new Date(Date.now() + ms);

    it('a reconnect makes the replaced refresh token the pending revocation, due when asked', async () => {
      const { storage } = ctx();
      const ref = r('tenant-rv', '1');
      const first = connection(ref);
      await storage.saveConnection(first);
      expect(await storage.claimRevocations(later(DAY), 10, MINUTE)).toEqual([]); // a first connect replaces nothing
      const second = connection(ref, { revokeReplacedAt: later(2 * MINUTE) });
      const stored = await storage.saveConnection(second);
      expect(stored.status).toBe('active');
      expect(stored.refreshToken).toBe(second.refreshToken);
      expect(await storage.claimRevocations(now(), 10, MINUTE)).toEqual([]); // not due yet
      const [pending, ...rest] = await storage.claimRevocations(later(3 * MINUTE), 10, MINUTE);
      expect(rest).toEqual([]);
      expect(pending).toEqual({
        ...ref,
        refreshToken: first.refreshToken,
        fingerprint: expect.any(String),
        attempts: 0,
        disconnecting: false,
      });
      expect(pending.fingerprint).not.toBe(stored.refreshTokenFingerprint);
      // The connection itself is untouched by it.
      expect((await storage.get(ref))!.refreshToken).toBe(second.refreshToken);
    });

    it('saving the same refresh token again retires nothing; without revokeReplacedAt the old one is due at once', async () => {
      const { storage } = ctx();
      const ref = r('tenant-rv-same', '1');
      const c = connection(ref);
      await storage.saveConnection(c);
      await storage.saveConnection({ ...c, accessToken: token('AT') });
      expect(await storage.claimRevocations(later(DAY), 10, MINUTE)).toEqual([]);
      await storage.saveConnection(connection(ref));
      expect(await storage.claimRevocations(now(), 10, MINUTE)).toEqual([
        expect.objectContaining({ ...ref, refreshToken: c.refreshToken }),
      ]);
    });

    it('markRevokePending: disconnected, tokens wiped, holders fenced, the refresh token kept to revoke', async () => {
      const { storage } = ctx();
      const ref = r('tenant-rp', '1');
      const c = connection(ref, { nextRefreshAt: new Date(Date.now() - MINUTE) });
      await storage.saveConnection(c);
      const leased = (await storage.acquireLease(ref, 'holder', MINUTE))!;
      const retryAt = later(5 * MINUTE);
      await expect(storage.markRevokePending(ref, { retryAt, errorCode: 'oauth_error' })).resolves.toBe(true);
      const after = (await storage.get(ref))!;
      expect(after).toMatchObject({
        status: 'revoke_pending',
        accessToken: '',
        refreshToken: '',
        lastErrorCode: 'oauth_error',
        leaseOwner: null,
        inflight: null,
      });
      expect(after.leaseGeneration).toBeGreaterThan(leased.leaseGeneration);
      await expect(storage.renewLease(ref, { owner: 'holder', generation: leased.leaseGeneration }, MINUTE)).resolves.toBe(false);
      await expect(storage.acquireLease(ref, 'other', MINUTE)).resolves.toBeNull();
      expect(await storage.claimDue(later(DAY), 10, 'claimer', MINUTE)).toEqual([]);
      expect(await storage.claimRevocations(now(), 10, MINUTE)).toEqual([]);
      expect(await storage.claimRevocations(later(6 * MINUTE), 10, MINUTE)).toEqual([
        { ...ref, refreshToken: c.refreshToken, fingerprint: expect.any(String), attempts: 1, disconnecting: true },
      ]);
      // Not for a revoked or a missing connection.
      const gone = r('tenant-rp', '2');
      await storage.saveConnection(connection(gone));
      await storage.markRevoked(gone);
      await expect(storage.markRevokePending(gone, { retryAt, errorCode: 'x' })).resolves.toBe(false);
      expect((await storage.get(gone))!.status).toBe('revoked');
      await expect(storage.markRevokePending(r('tenant-rp', 'missing'), { retryAt, errorCode: 'x' })).resolves.toBe(false);
    });

    it('claimRevocations: soonest first, at most `limit`, held for `holdMs`; `only` takes one, due or not', async () => {
      const { storage } = ctx();
      const refs = [r('tenant-claim', '3'), r('tenant-claim', '1'), r('tenant-claim', '2')];
      const base = Date.now();
      for (const [i, ref] of refs.entries()) {
        await storage.saveConnection(connection(ref));
        await storage.saveConnection(connection(ref, { revokeReplacedAt: new Date(base - (3 - i) * MINUTE) }));
      }
      const firstTwo = await storage.claimRevocations(new Date(base), 2, 10 * MINUTE);
      expect(firstTwo.map((p) => p.realmId)).toEqual(['3', '1']);
      expect((await storage.claimRevocations(new Date(base), 10, 10 * MINUTE)).map((p) => p.realmId)).toEqual(['2']);
      expect(await storage.claimRevocations(new Date(base + 5 * MINUTE), 10, 10 * MINUTE)).toEqual([]); // all held
      expect((await storage.claimRevocations(new Date(base + 11 * MINUTE), 10, MINUTE)).length).toBe(3); // the hold ran out
      expect(await storage.claimRevocations(new Date(base + 11 * MINUTE), 10, MINUTE, refs[1])).toEqual([
        expect.objectContaining({ ...refs[1] }),
      ]);
      expect(await storage.claimRevocations(new Date(base), 10, MINUTE, r('tenant-claim', 'none'))).toEqual([]);
      // Another tenant's ref reaches nothing (I7).
      expect(await storage.claimRevocations(new Date(base), 10, MINUTE, r('tenant-other', '1'))).toEqual([]);
    });

    it('concurrent claimers never get the same revocation', async () => {
      const { storage } = ctx();
      for (let i = 0; i < 12; i++) {
        const ref = r('tenant-race', String(i));
        await storage.saveConnection(connection(ref));
        await storage.saveConnection(connection(ref, { revokeReplacedAt: new Date(Date.now() - MINUTE) }));
      }
      const batches = await Promise.all(Array.from({ length: 4 }, () => storage.claimRevocations(now(), 5, 10 * MINUTE)));
      const claimed = batches.flat().map((p) => p.realmId);
      expect(claimed.length).toBe(12);
      expect(new Set(claimed).size).toBe(12);
    });

    it('settleRevocation: fenced on the fingerprint; a retry counts the attempt; done clears it and finishes a disconnect', async () => {
      const { storage } = ctx();
      const ref = r('tenant-settle', '1');
      await storage.saveConnection(connection(ref));
      await storage.markRevokePending(ref, { retryAt: now(), errorCode: 'oauth_error' });
      const [pending] = await storage.claimRevocations(now(), 1, MINUTE);
      await expect(storage.settleRevocation(ref, 'k1:not-this-one', null)).resolves.toBe(false);
      await expect(storage.settleRevocation(r('tenant-other', '1'), pending.fingerprint, null)).resolves.toBe(false);
      await expect(storage.settleRevocation(ref, pending.fingerprint, later(2 * MINUTE))).resolves.toBe(true);
      expect(await storage.claimRevocations(later(MINUTE), 1, MINUTE)).toEqual([]);
      expect(await storage.claimRevocations(later(3 * MINUTE), 1, MINUTE)).toEqual([
        expect.objectContaining({ attempts: 2, disconnecting: true }),
      ]);
      expect((await storage.get(ref))!.status).toBe('revoke_pending');
      await expect(storage.settleRevocation(ref, pending.fingerprint, null)).resolves.toBe(true);
      expect((await storage.get(ref))!.status).toBe('revoked');
      expect(await storage.claimRevocations(later(DAY), 10, MINUTE, ref)).toEqual([]);
      await expect(storage.settleRevocation(ref, pending.fingerprint, null)).resolves.toBe(false);
      // On an active connection (a replaced grant) done leaves the connection as it is.
      const active = r('tenant-settle', '2');
      await storage.saveConnection(connection(active));
      await storage.saveConnection(connection(active));
      const [replaced] = await storage.claimRevocations(now(), 1, MINUTE, active);
      await storage.settleRevocation(active, replaced.fingerprint, null);
      expect((await storage.get(active))!.status).toBe('active');
    });

    it('a reconnect of a revoke_pending connection keeps its pending revoke; markRevoked keeps one too', async () => {
      const { storage } = ctx();
      const ref = r('tenant-keep', '1');
      const old = connection(ref);
      await storage.saveConnection(old);
      await storage.markRevokePending(ref, { retryAt: later(HOUR), errorCode: 'oauth_error' });
      const fresh = connection(ref);
      const stored = await storage.saveConnection(fresh);
      expect(stored).toMatchObject({ status: 'active', refreshToken: fresh.refreshToken });
      expect(await storage.claimRevocations(now(), 1, MINUTE, ref)).toEqual([
        { ...ref, refreshToken: old.refreshToken, fingerprint: expect.any(String), attempts: 1, disconnecting: false },
      ]);
      const other = r('tenant-keep', '2');
      await storage.saveConnection(connection(other));
      await storage.saveConnection(connection(other));
      await storage.markRevoked(other);
      const [kept] = await storage.claimRevocations(now(), 1, MINUTE, other);
      expect(kept).toMatchObject({ disconnecting: false });
      await storage.settleRevocation(other, kept.fingerprint, null);
      expect((await storage.get(other))!.status).toBe('revoked');
    });

    it('delete drops the pending revocation with the row', async () => {
      const { storage } = ctx();
      const ref = r('tenant-del', '1');
      await storage.saveConnection(connection(ref));
      await storage.saveConnection(connection(ref));
      await storage.delete(ref);
      expect(await storage.claimRevocations(later(DAY), 10, MINUTE)).toEqual([]);
    });

    it('is sealed at rest, re-encrypted by key rotation, and an undecryptable one does not block the others (I6, I8)', async () => {
      const { storage, harness, keysSpec, newKey, track } = ctx();
      const ref = r('tenant-seal', '1');
      const old = connection(ref);
      await storage.saveConnection(old);
      await storage.markRevokePending(ref, { retryAt: now(), errorCode: 'oauth_error' });
      const dump = (await harness.raw.dump()).join('\n');
      for (const form of [old.refreshToken, Buffer.from(old.refreshToken).toString('base64')]) expect(dump).not.toContain(form);
      // A second one, left under the old key on purpose.
      const stale = r('tenant-seal', '2');
      await storage.saveConnection(connection(stale));
      await storage.saveConnection(connection(stale));

      const k2 = newKey('k2');
      const rotated = await harness.reopenWithKeys(`${k2},${keysSpec}`);
      track(rotated);
      await expect(rotated.reencrypt(ref)).resolves.toBe(true);
      const onlyNew = await harness.reopenWithKeys(k2);
      track(onlyNew);
      const claimed = await onlyNew.claimRevocations(now(), 10, MINUTE);
      expect(claimed).toContainEqual({
        ...ref,
        refreshToken: old.refreshToken,
        fingerprint: expect.any(String),
        attempts: 1,
        disconnecting: true,
      });
      // The other is handed out unopened (null), or, where the whole record is sealed (file), cannot be read at all.
      for (const p of claimed.filter((c) => c.realmId === stale.realmId)) expect(p.refreshToken).toBeNull();
      expect(claimed.length).toBeGreaterThanOrEqual(1);
    });

    it('counts revoke_pending connections in stats', async () => {
      const { storage } = ctx();
      const ref = r('tenant-stats-rp', '1');
      await storage.saveConnection(connection(ref));
      await storage.markRevokePending(ref, { retryAt: later(HOUR), errorCode: 'oauth_error' });
      const stats = await storage.stats(now(), MINUTE);
      expect(stats.byStatus.revoke_pending).toBe(1);
      expect(stats.byStatus.active).toBe(0);
    });
  });
}
