import type { ConnectionRef } from '../../domain/connection.interface';
import type { NewConnection, TokenStorage } from '../../auth/storage/token-storage.interface';
import { StorageError } from '../../errors/storage.error';
import { DAY, newConnection } from './connection-fixtures';
import type { ConformanceHarness } from './conformance-harness';

export interface ReconnectCampaignContext {
  storage: TokenStorage;
  harness: ConformanceHarness;
  /** The key ring the store was opened with (a second instance on the same data is a second replica). */
  keysSpec: string;
  /** Stores to close after the test. */
  track(storage: TokenStorage): void;
}

/**
 * The hard-expiry lifecycle (issue 16): warnings recorded once per horizon and grant across
 * replicas (claimReconnectWarning), and the reconnect campaign's keyset pages (listReconnectDue).
 * Called inside describeTokenStorageConformance, so every backend runs it.
 */
export function describeReconnectCampaign(ctx: () => ReconnectCampaignContext): void {
  describe('hard expiry: reconnect warnings and the reconnect campaign', () => {
    const r = (tenantId: string, realmId: string): ConnectionRef => ({ tenantId, realmId });
    const expiringIn = (ref: ConnectionRef, days: number, overrides: Partial<NewConnection> = {}): NewConnection =>
      newConnection(ref, { refreshTokenHardExpiresAt: new Date(Date.now() + days * DAY), ...overrides });

    it('records each horizon once per grant, nearer horizons after farther ones, and a reconnect starts over', async () => {
      const { storage } = ctx();
      const ref = r('tenant-hw', '1');
      await storage.saveConnection(expiringIn(ref, 60));
      const now = new Date();
      expect((await storage.get(ref))!.reconnectWarnedDays).toBeNull();
      await expect(storage.claimReconnectWarning(ref, 30, now)).resolves.toBe(false); // 60 days out: not within 30
      await expect(storage.claimReconnectWarning(ref, 90, now)).resolves.toBe(true);
      await expect(storage.claimReconnectWarning(ref, 90, now)).resolves.toBe(false); // once
      expect((await storage.get(ref))!.reconnectWarnedDays).toBe(90);
      // 40 days later: the 30-day horizon is due; the 90-day one never again.
      const later = new Date(now.getTime() + 40 * DAY);
      await expect(storage.claimReconnectWarning(ref, 30, later)).resolves.toBe(true);
      await expect(storage.claimReconnectWarning(ref, 90, later)).resolves.toBe(false);
      await expect(storage.claimReconnectWarning(ref, 30, later)).resolves.toBe(false);
      // A reconnect is a new grant with a new deadline: its warnings start over.
      await storage.saveConnection(expiringIn(ref, 80));
      expect((await storage.get(ref))!.reconnectWarnedDays).toBeNull();
      await expect(storage.claimReconnectWarning(ref, 90, now)).resolves.toBe(true);
    });

    it('never records a warning for a revoked, unknown or undated connection, and refuses a bad horizon', async () => {
      const { storage } = ctx();
      const revoked = r('tenant-hw-none', 'revoked');
      const undated = r('tenant-hw-none', 'undated');
      await storage.saveConnection(expiringIn(revoked, 5));
      await storage.markRevoked(revoked);
      await storage.saveConnection(newConnection(undated, { refreshTokenHardExpiresAt: null }));
      const now = new Date();
      await expect(storage.claimReconnectWarning(revoked, 7, now)).resolves.toBe(false);
      await expect(storage.claimReconnectWarning(undated, 7, now)).resolves.toBe(false);
      await expect(storage.claimReconnectWarning(r('tenant-hw-none', 'missing'), 7, now)).resolves.toBe(false);
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        await expect(storage.claimReconnectWarning(undated, bad, now)).rejects.toMatchObject({ code: 'invalid_horizon' });
      }
    });

    it('one replica wins each warning: concurrent claims from two storage instances on the same data', async () => {
      const { storage, harness, keysSpec, track } = ctx();
      const other = await harness.reopenWithKeys(keysSpec);
      track(other);
      const refs = Array.from({ length: 10 }, (_, i) => r('tenant-hw-race', String(i + 1)));
      for (const ref of refs) await storage.saveConnection(expiringIn(ref, 6));
      const now = new Date();
      const wins = await Promise.all(
        refs.flatMap((ref) => [storage, other, storage, other].map((s) => s.claimReconnectWarning(ref, 7, now))),
      );
      expect(wins.filter(Boolean)).toHaveLength(refs.length);
      for (let i = 0; i < refs.length; i++) expect(wins.slice(i * 4, i * 4 + 4).filter(Boolean)).toHaveLength(1);
    });

    it('lists connections due before a date, soonest first, in keyset pages without duplicates or tokens', async () => {
      const { storage } = ctx();
      const base = Date.now();
      const at = (days: number) => new Date(base + days * DAY);
      const rows: Array<[ConnectionRef, Date | null]> = [
        [r('tenant-camp-b', '2'), at(10)],
        [r('tenant-camp-a', '1'), at(10)], // same deadline: tenant, then realm, decide
        [r('tenant-camp-a', '2'), at(10)],
        [r('tenant-camp-c', '1'), at(3)],
        [r('tenant-camp-c', '2'), at(40)],
        [r('tenant-camp-c', '3'), at(400)], // after the window
        [r('tenant-camp-d', '1'), null], // deadline unknown
      ];
      const tokens: string[] = [];
      for (const [ref, hard] of rows) {
        const input = newConnection(ref, { refreshTokenHardExpiresAt: hard });
        tokens.push(input.accessToken, input.refreshToken);
        await storage.saveConnection(input);
      }
      const revoked = r('tenant-camp-e', '1');
      await storage.saveConnection(expiringIn(revoked, 1));
      await storage.markRevoked(revoked);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await storage.listReconnectDue(at(90), cursor, 2);
        pages++;
        for (const c of page.connections) {
          expect(c).not.toHaveProperty('accessToken');
          expect(c).not.toHaveProperty('refreshToken');
          seen.push(`${c.tenantId}/${c.realmId}`);
        }
        const text = JSON.stringify(page);
        for (const t of tokens) expect(text).not.toContain(t);
        cursor = page.nextCursor;
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual(['tenant-camp-c/1', 'tenant-camp-a/1', 'tenant-camp-a/2', 'tenant-camp-b/2', 'tenant-camp-c/2']);
      const first = await storage.listReconnectDue(at(90), null, 10);
      expect(first.nextCursor).toBeNull();
      expect(first.connections[0]).toMatchObject({ status: 'active', refreshTokenHardExpiresAt: at(3) });
      await expect(storage.listReconnectDue(at(90), 'not-a-cursor!', 2)).rejects.toBeInstanceOf(StorageError);
      await expect(storage.listReconnectDue(at(90), Buffer.from('[1,2]').toString('base64url'), 2)).rejects.toMatchObject({
        code: 'invalid_cursor',
      });
    });

    it('listRefsByRealm finds one company under every tenant (any status), bounded by limit, and only that company', async () => {
      const { storage } = ctx();
      for (const tenant of ['tenant-realm-c', 'tenant-realm-a', 'tenant-realm-b'])
        await storage.saveConnection(newConnection(r(tenant, '4620816365000000001')));
      await storage.saveConnection(newConnection(r('tenant-realm-a', '4620816365000000002')));
      await storage.saveConnection(newConnection(r('tenant-realm-a', '46208163650000000011'))); // a longer id sharing the prefix
      await storage.markRevoked(r('tenant-realm-b', '4620816365000000001'));
      expect(await storage.listRefsByRealm('4620816365000000001', 10)).toEqual([
        r('tenant-realm-a', '4620816365000000001'),
        r('tenant-realm-b', '4620816365000000001'),
        r('tenant-realm-c', '4620816365000000001'),
      ]);
      expect(await storage.listRefsByRealm('4620816365000000001', 2)).toHaveLength(2);
      expect(await storage.listRefsByRealm('9999999999', 10)).toEqual([]);
      await expect(storage.listRefsByRealm('', 10)).rejects.toBeInstanceOf(StorageError);
    });

    it('lists a connection whose tokens cannot be decrypted (its deadline is still readable)', async () => {
      const { storage, harness } = ctx();
      const bad = r('tenant-camp-bad', '1');
      await storage.saveConnection(expiringIn(bad, 5));
      await harness.raw.tamper(bad, 'refresh_token', (c) => `${c.slice(0, -4)}AAAA`);
      const page = await storage.listReconnectDue(new Date(Date.now() + 30 * DAY), null, 10);
      expect(page.connections.map((c) => c.realmId)).toEqual(['1']);
    });
  });
}
