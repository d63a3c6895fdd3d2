import type { ConnectionRef, StoredConnection } from '../../domain/connection.interface';
import type { TokenStorage } from '../../auth/storage/token-storage.interface';
import { MINUTE, newConnection } from './connection-fixtures';
import type { ConformanceHarness } from './conformance-harness';

export interface RevokeFenceContext {
  storage: TokenStorage;
  harness: ConformanceHarness;
  /** The key ring the store was opened with (a second instance on the same data is a second replica). */
  keysSpec: string;
  /** Stores to close after the test. */
  track(storage: TokenStorage): void;
}

/**
 * The fenced revoke (`markRevoked(ref, { refusedFingerprint })`) that closes a connection after
 * Intuit refused its refresh token (the Disconnect URL landing): it applies only while that
 * refused token is still the stored one, in one conditional write, so a reconnect stored at any
 * moment before it is never wiped. Called inside describeTokenStorageConformance, so every
 * backend runs it.
 */
export function describeRevokeFence(ctx: () => RevokeFenceContext): void {
  describe('fenced revoke of a refused grant (markRevoked with a RevokeFence)', () => {
    const r = (tenantId: string, realmId: string): ConnectionRef => ({ tenantId, realmId });

    /** Connected, then refused by Intuit the way the refresher records it (under a lease, fenced on the fingerprint). */
    async function refused(storage: TokenStorage, ref: ConnectionRef): Promise<StoredConnection> {
      const stored = await storage.saveConnection(newConnection(ref));
      const leased = await storage.acquireLease(ref, 'refresher', MINUTE);
      if (!leased) throw new Error(`lease on ${ref.tenantId}/${ref.realmId} was not free`);
      const marked = await storage.markNeedsReauth(
        ref,
        { owner: 'refresher', generation: leased.leaseGeneration },
        { fingerprint: stored.refreshTokenFingerprint, errorCode: 'invalid_grant', pendingUntil: null },
      );
      if (!marked) throw new Error('markNeedsReauth refused a fresh connection');
      return stored;
    }

    it('revokes when the refused token is still the stored one: tokens wiped, generation bumped; once', async () => {
      const { storage } = ctx();
      const ref = r('tenant-fence', '1');
      const dead = await refused(storage, ref);
      const before = (await storage.get(ref))!;
      expect(before).toMatchObject({ status: 'needs_reauth', refreshTokenFingerprint: dead.refreshTokenFingerprint });
      await expect(storage.markRevoked(ref, { refusedFingerprint: dead.refreshTokenFingerprint })).resolves.toBe(true);
      const after = (await storage.get(ref))!;
      expect(after).toMatchObject({ status: 'revoked', accessToken: '', refreshToken: '', leaseOwner: null, inflight: null });
      expect(after.leaseGeneration).toBeGreaterThan(before.leaseGeneration);
      // Already revoked: the fence no longer matches, nothing is written again.
      await expect(storage.markRevoked(ref, { refusedFingerprint: dead.refreshTokenFingerprint })).resolves.toBe(false);
      expect((await storage.get(ref))!.version).toBe(after.version);
      await expect(storage.markRevoked(r('tenant-fence', 'missing'), { refusedFingerprint: dead.refreshTokenFingerprint })).resolves.toBe(
        false,
      );
    });

    it('refuses after a reconnect stored a new grant: the row stays active with its new tokens', async () => {
      const { storage } = ctx();
      const ref = r('tenant-fence', '2');
      const dead = await refused(storage, ref);
      const reconnect = newConnection(ref);
      const fresh = await storage.saveConnection(reconnect);
      expect(fresh.refreshTokenFingerprint).not.toBe(dead.refreshTokenFingerprint);
      await expect(storage.markRevoked(ref, { refusedFingerprint: dead.refreshTokenFingerprint })).resolves.toBe(false);
      const kept = (await storage.get(ref))!;
      expect(kept).toMatchObject({
        status: 'active',
        accessToken: reconnect.accessToken,
        refreshToken: reconnect.refreshToken,
        refreshTokenFingerprint: fresh.refreshTokenFingerprint,
        version: fresh.version,
        leaseGeneration: fresh.leaseGeneration,
      });
      // The new grant can still be leased and refreshed.
      await expect(storage.acquireLease(ref, 'next-refresher', MINUTE)).resolves.toMatchObject({ status: 'active' });
    });

    it('refuses anything but needs_reauth with that token: active, reauth_pending, another fingerprint, another tenant', async () => {
      const { storage } = ctx();
      // Active with exactly that fingerprint: Intuit has not refused it here.
      const healthy = r('tenant-fence', '3');
      const live = await storage.saveConnection(newConnection(healthy));
      await expect(storage.markRevoked(healthy, { refusedFingerprint: live.refreshTokenFingerprint })).resolves.toBe(false);
      expect((await storage.get(healthy))!).toMatchObject({ status: 'active', refreshToken: live.refreshToken, version: live.version });
      // Parked (an earlier call with it may still commit its rotation): not decided yet.
      const parked = r('tenant-fence', '4');
      const waiting = await storage.saveConnection(newConnection(parked));
      const leased = (await storage.acquireLease(parked, 'refresher', MINUTE))!;
      await storage.markNeedsReauth(
        parked,
        { owner: 'refresher', generation: leased.leaseGeneration },
        { fingerprint: waiting.refreshTokenFingerprint, errorCode: 'rotation_response_lost', pendingUntil: new Date(Date.now() + MINUTE) },
      );
      await expect(storage.markRevoked(parked, { refusedFingerprint: waiting.refreshTokenFingerprint })).resolves.toBe(false);
      expect((await storage.get(parked))!.status).toBe('reauth_pending');
      // needs_reauth, but the fence names another token; and another tenant's row is never reached (I7).
      const dead = r('tenant-fence', '5');
      const refusedOne = await refused(storage, dead);
      await expect(storage.markRevoked(dead, { refusedFingerprint: live.refreshTokenFingerprint })).resolves.toBe(false);
      await expect(
        storage.markRevoked(r('tenant-fence-other', '5'), { refusedFingerprint: refusedOne.refreshTokenFingerprint }),
      ).resolves.toBe(false);
      expect((await storage.get(dead))!.status).toBe('needs_reauth');
      // Unfenced, the disconnect the host asked for still applies to whatever is stored.
      await expect(storage.markRevoked(healthy)).resolves.toBe(true);
      expect((await storage.get(healthy))!.status).toBe('revoked');
    });

    it('refuses a fence without a fingerprint (StorageError invalid_revoke_fence) and writes nothing', async () => {
      const { storage } = ctx();
      const ref = r('tenant-fence', '6');
      const dead = await refused(storage, ref);
      for (const bad of [{ refusedFingerprint: '' }, { refusedFingerprint: undefined }, null]) {
        await expect(storage.markRevoked(ref, bad as never)).rejects.toMatchObject({ code: 'invalid_revoke_fence' });
      }
      expect((await storage.get(ref))!).toMatchObject({ status: 'needs_reauth', refreshTokenFingerprint: dead.refreshTokenFingerprint });
    });

    it('a reconnect racing the fenced revoke (another replica) is never lost, whichever lands first', async () => {
      const { storage, harness, keysSpec, track } = ctx();
      const replica = await harness.reopenWithKeys(keysSpec);
      track(replica);
      const refs = Array.from({ length: 12 }, (_, i) => r('tenant-fence-race', String(i + 1)));
      const dead = await Promise.all(refs.map((ref) => refused(storage, ref)));
      const reconnects = refs.map((ref) => newConnection(ref));
      await Promise.all(
        refs.map((ref, i) =>
          Promise.all([
            replica.saveConnection(reconnects[i]),
            storage.markRevoked(ref, { refusedFingerprint: dead[i].refreshTokenFingerprint }),
          ]),
        ),
      );
      // Revoke first then reconnect, or reconnect first then a refused revoke: the new grant is stored either way.
      for (const [i, ref] of refs.entries()) {
        expect((await storage.get(ref))!).toMatchObject({
          status: 'active',
          accessToken: reconnects[i].accessToken,
          refreshToken: reconnects[i].refreshToken,
        });
      }
    });
  });
}
