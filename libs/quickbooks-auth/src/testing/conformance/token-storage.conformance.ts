/**
 * One conformance suite for every TokenStorage backend: the built-in ones (memory, TypeORM
 * MySQL/SQLite, Redis, file) and yours (`storage: { type: 'custom', storage }`). It runs under Jest
 * (global describe/it/expect); some cases boot the module against an in-process emulator, so it
 * needs `@nestjs/testing` and `@quickbooks-auth/intuit-emulator` installed.
 *
 * Usage, in `my-storage.spec.ts`:
 *
 *   import { cipherFor, describeTokenStorageConformance } from '@quickbooks-auth/nestjs/testing';
 *
 *   describeTokenStorageConformance('my store', async (keysSpec) => {
 *     const storage = new MyTokenStorage(db, cipherFor(keysSpec));
 *     return {
 *       storage,
 *       raw: { dump, tamper, copyField, swapFields },             // see ConformanceRawAccess
 *       reopenWithKeys: async (spec) => new MyTokenStorage(db, cipherFor(spec)),
 *       cleanup: async () => { ...delete what the test wrote... },
 *     };
 *   });
 *
 * The factory is called once per test (beforeEach) with a key-ring spec (`id:base64,...`) and
 * must return an EMPTY store; `cleanup` runs in afterEach. `raw` reads and writes the backend's
 * stored bytes directly, bypassing the storage class, so the suite can prove I6 (no plaintext at
 * rest, ciphertexts bound to tenant + realm + field). `reopenWithKeys` opens the SAME data with a
 * new key ring (for key rotation); the harness's cleanup should also close what it opened.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionRecord, ConnectionRef, Lease, StoredConnection, UndecryptableConnection } from '../../domain/connection.interface';
import { isUndecryptable } from '../../auth/storage/undecryptable-record';
import type { NewConnection, RefreshResult, TokenStorage } from '../../auth/storage/token-storage.interface';
import { DecryptionError } from '../../errors/decryption.error';
import { StorageError } from '../../errors/storage.error';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import { createQuickBooksTestingModule, type QuickBooksTesting } from '../quickbooks-testing-module';
import { KeyRing } from '../../utils/crypto/key-ring';
import { DAY, HOUR, MINUTE, newConnection, token } from './connection-fixtures';
import { TokenRefresher } from '../../auth/refresh/token-refresher.service';
import { RefreshShutdownError } from '../../errors/refresh-shutdown.error';
import { TokenCipher } from '../../utils/crypto/token-cipher';
import { describePendingRevocation } from './pending-revocation.cases';
import { describeLastUsed } from './last-used.cases';
import { describeReconnectCampaign } from './reconnect-campaign.cases';
import { describeRevokeFence } from './revoke-fence.cases';

export type { ConformanceFactory, ConformanceHarness, ConformanceRawAccess, TokenColumn } from './conformance-harness';
import type { ConformanceFactory, ConformanceHarness } from './conformance-harness';

/** Sizes of the race cases; lower them for a slow backend. */
export interface ConformanceOptions {
  /** Concurrent writers in the race cases (default 50). */
  concurrency?: number;
  /** Rows in the claimDue race (default 200). */
  claimRows?: number;
}

/** A TokenCipher for a key spec, for factories. */
export function cipherFor(keysSpec: string): TokenCipher {
  return new TokenCipher(KeyRing.parse(keysSpec));
}

/** A fresh key-ring entry `id:base64(32 random bytes)`. */
export function newKeySpec(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

function ref(tenantId: string, realmId: string): ConnectionRef {
  return { tenantId, realmId };
}

/** For writes whose rule does not depend on a lease (a rotated swap is fenced on the fingerprint only). */
const NO_LEASE: Lease = { owner: 'nobody', generation: -1 };

function refreshResult(overrides: Partial<RefreshResult> = {}): RefreshResult {
  const now = Date.now();
  return {
    accessToken: token('AT'),
    refreshToken: token('RT'),
    accessTokenExpiresAt: new Date(now + HOUR + 321),
    refreshTokenExpiresAt: new Date(now + 100 * DAY + 654),
    refreshTokenHardExpiresAt: null,
    nextRefreshAt: new Date(now + 45 * MINUTE + 99),
    ...overrides,
  };
}

/** Every form a leaked token could take in storage. */
function encodings(secret: string): string[] {
  const buf = Buffer.from(secret, 'utf8');
  return [secret, buf.toString('base64'), buf.toString('base64url'), encodeURIComponent(secret), buf.toString('hex')];
}

/** Flip one character well inside the base64url payload (every bit of it is significant). */
function flipMiddle(ciphertext: string): string {
  const i = ciphertext.length - 12;
  return ciphertext.slice(0, i) + (ciphertext[i] === 'A' ? 'B' : 'A') + ciphertext.slice(i + 1);
}

/**
 * Registers Jest cases every `TokenStorage` must pass (encryption at rest, tenant isolation,
 * leases and generations, compare-and-swap on the refresh-token fingerprint, claimDue races,
 * pending revocations, the fenced revoke of a refused grant): call it at the top level of a spec file with a factory for your backend.
 */
export function describeTokenStorageConformance(name: string, factory: ConformanceFactory, options: ConformanceOptions = {}): void {
  const concurrency = options.concurrency ?? 50;
  const claimRows = options.claimRows ?? 200;

  describe(`TokenStorage conformance: ${name}`, () => {
    let harness: ConformanceHarness;
    let storage: TokenStorage;
    let oldKey: string;
    const extraStorages: TokenStorage[] = [];

    beforeEach(async () => {
      oldKey = newKeySpec('k1');
      harness = await factory(oldKey);
      storage = harness.storage;
    });

    afterEach(async () => {
      for (const s of extraStorages.splice(0)) await s.close?.();
      await harness?.cleanup();
    });

    async function save(
      r: ConnectionRef,
      overrides: Partial<NewConnection> = {},
    ): Promise<{ input: NewConnection; stored: StoredConnection }> {
      const input = newConnection(r, overrides);
      return { input, stored: await storage.saveConnection(input) };
    }

    /** Take the lease (it must be free) and return it as its holder knows it. */
    async function lease(r: ConnectionRef, owner = 'owner-1', ttlMs = 60_000): Promise<Lease> {
      const leased = await storage.acquireLease(r, owner, ttlMs);
      if (!leased) throw new Error(`lease on ${r.tenantId}/${r.realmId} was not free`);
      return { owner, generation: leased.leaseGeneration };
    }

    /** needs_reauth the way the refresher does it: under a lease, fenced on the fingerprint. */
    async function markReauth(r: ConnectionRef, fingerprint: string, errorCode = 'invalid_grant'): Promise<boolean> {
      return storage.markNeedsReauth(r, await lease(r, 'marker'), { fingerprint, errorCode, pendingUntil: null });
    }

    describe('CRUD', () => {
      it('get returns null for an unknown connection', async () => {
        await expect(storage.get(ref('t-none', '1'))).resolves.toBeNull();
      });

      it('saveConnection stores every field and get returns it with tokens decrypted', async () => {
        const r = ref('tenant-crud', '9130350000000001');
        const { input, stored } = await save(r);
        const got = await storage.get(r);
        for (const conn of [stored, got!]) {
          expect(conn).toMatchObject({
            tenantId: r.tenantId,
            realmId: r.realmId,
            environment: 'sandbox',
            status: 'active',
            accessToken: input.accessToken,
            refreshToken: input.refreshToken,
            scopes: input.scopes,
            leaseOwner: null,
            leaseExpiresAt: null,
            failureCount: 0,
            nextAttemptAt: null,
            lastErrorCode: null,
          });
          expect(conn.refreshTokenFingerprint).toEqual(expect.any(String));
          expect(conn.refreshTokenFingerprint).not.toContain(input.refreshToken);
          // Millisecond precision survives the round trip.
          expect(conn.accessTokenExpiresAt.getTime()).toBe(input.accessTokenExpiresAt.getTime());
          expect(conn.refreshTokenExpiresAt.getTime()).toBe(input.refreshTokenExpiresAt.getTime());
          expect(conn.refreshTokenHardExpiresAt?.getTime()).toBe(input.refreshTokenHardExpiresAt!.getTime());
          expect(conn.nextRefreshAt.getTime()).toBe(input.nextRefreshAt.getTime());
          expect(conn.version).toBeGreaterThanOrEqual(1);
          expect(conn.createdAt).toBeInstanceOf(Date);
          expect(conn.updatedAt).toBeInstanceOf(Date);
        }
        expect(got!.refreshTokenFingerprint).toBe(stored.refreshTokenFingerprint);
      });

      it('keeps a null hard expiry null', async () => {
        const r = ref('tenant-crud', 'nohard');
        await save(r, { refreshTokenHardExpiresAt: null });
        expect((await storage.get(r))!.refreshTokenHardExpiresAt).toBeNull();
      });

      it('returns copies: mutating a result does not change the store', async () => {
        const r = ref('tenant-copy', '1');
        const { input } = await save(r);
        const got = (await storage.get(r))!;
        got.scopes.push('evil');
        got.accessToken = 'changed';
        got.nextRefreshAt.setTime(0);
        const again = (await storage.get(r))!;
        expect(again.scopes).toEqual(input.scopes);
        expect(again.accessToken).toBe(input.accessToken);
        expect(again.nextRefreshAt.getTime()).toBe(input.nextRefreshAt.getTime());
      });

      it('listByTenant lists only that tenant', async () => {
        await save(ref('tenant-list', 'r1'));
        await save(ref('tenant-list', 'r2'));
        await save(ref('tenant-other', 'r3'));
        const list = await storage.listByTenant('tenant-list');
        expect(list.map((c) => c.realmId).sort()).toEqual(['r1', 'r2']);
        expect(list.every((c) => c.tenantId === 'tenant-list')).toBe(true);
        await expect(storage.listByTenant('tenant-nobody')).resolves.toEqual([]);
      });

      it('delete removes the row and reports whether it existed', async () => {
        const r = ref('tenant-del', '1');
        await save(r);
        await expect(storage.delete(r)).resolves.toBe(true);
        await expect(storage.get(r)).resolves.toBeNull();
        await expect(storage.delete(r)).resolves.toBe(false);
      });

      it('ping works', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
      });

      it('listRefs pages through every connection exactly once', async () => {
        const refs = ['a', 'b', 'c', 'd', 'e'].map((x, i) => ref(`tenant-page-${i % 2}`, `realm-${x}`));
        for (const r of refs) await save(r);
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page: { refs: ConnectionRef[]; nextCursor: string | null } = await storage.listRefs(cursor, 2);
          expect(page.refs.length).toBeLessThanOrEqual(2);
          seen.push(...page.refs.map((x) => `${x.tenantId}/${x.realmId}`));
          cursor = page.nextCursor;
          if (cursor === null) break;
        }
        expect(cursor).toBeNull();
        expect(seen.sort()).toEqual(refs.map((x) => `${x.tenantId}/${x.realmId}`).sort());
      });
    });

    describe('reconnect', () => {
      it('saveConnection on an existing connection replaces tokens, clears needs_reauth, failures and lease, bumps version', async () => {
        const r = ref('tenant-reconnect', '1');
        const { stored: first } = await save(r);
        const held = await lease(r);
        await storage.recordFailure(r, held, { failureCount: 3, nextAttemptAt: new Date(Date.now() + HOUR), lastErrorCode: 'http_503' });
        expect(await markReauth(r, first.refreshTokenFingerprint)).toBe(true);
        const before = (await storage.get(r))!;
        expect(before.status).toBe('needs_reauth');

        const { input, stored } = await save(r, { environment: 'production' });
        expect(stored).toMatchObject({
          status: 'active',
          environment: 'production',
          accessToken: input.accessToken,
          refreshToken: input.refreshToken,
          failureCount: 0,
          nextAttemptAt: null,
          lastErrorCode: null,
          leaseOwner: null,
        });
        expect(stored.version).toBeGreaterThan(before.version);
        expect(stored.refreshTokenFingerprint).not.toBe(first.refreshTokenFingerprint);
        // A refresh in flight for the old token loses its compare-and-swap.
        await expect(storage.compareAndSwapTokens(r, first.refreshTokenFingerprint, refreshResult(), held)).resolves.toBeNull();
        expect((await storage.get(r))!.refreshToken).toBe(input.refreshToken);
        expect(await storage.listByTenant('tenant-reconnect')).toHaveLength(1);
      });
    });

    describe('tenant isolation (I7)', () => {
      const realm = '9130350000000042';
      const a = ref('tenant-a', realm);
      const b = ref('tenant-b', realm);
      const aUpper = ref('TENANT-A', realm);

      it('the same realm under two tenants is two separate rows', async () => {
        const sa = await save(a);
        const sb = await save(b);
        const sc = await save(aUpper);
        expect((await storage.get(a))!.refreshToken).toBe(sa.input.refreshToken);
        expect((await storage.get(b))!.refreshToken).toBe(sb.input.refreshToken);
        expect((await storage.get(aUpper))!.refreshToken).toBe(sc.input.refreshToken);
        expect((await storage.listByTenant('tenant-a')).map((c) => c.tenantId)).toEqual(['tenant-a']);
        expect((await storage.listByTenant('TENANT-A')).map((c) => c.tenantId)).toEqual(['TENANT-A']);
      });

      it('lease, CAS, needs_reauth, revoke and delete on one tenant never touch the other', async () => {
        const sa = await save(a);
        const sb = await save(b);
        const bBefore = (await storage.get(b))!;

        const leaseA = await lease(a, 'owner-a');
        // Leasing A does not lease B.
        const leaseB = await lease(b, 'owner-b');
        await storage.releaseLease(b, leaseB);
        // CAS on A with B's fingerprint fails; CAS on A with A's fingerprint changes only A.
        await expect(storage.compareAndSwapTokens(a, sb.stored.refreshTokenFingerprint, refreshResult(), leaseA)).resolves.toBeNull();
        expect(await storage.compareAndSwapTokens(a, sa.stored.refreshTokenFingerprint, refreshResult(), leaseA)).not.toBeNull();
        await expect(markReauth(a, sb.stored.refreshTokenFingerprint)).resolves.toBe(false);
        await expect(storage.markRevoked(a)).resolves.toBe(true);
        await expect(storage.delete(a)).resolves.toBe(true);

        const bAfter = (await storage.get(b))!;
        expect(bAfter).toMatchObject({
          status: 'active',
          accessToken: sb.input.accessToken,
          refreshToken: sb.input.refreshToken,
          refreshTokenFingerprint: bBefore.refreshTokenFingerprint,
          leaseOwner: null,
        });
        expect(await storage.listByTenant('tenant-b')).toHaveLength(1);
        expect(await storage.listByTenant('tenant-a')).toHaveLength(0);
      });

      it('a tenant id differing only by a trailing space or case is a different tenant or refused', async () => {
        await save(a);
        const spaced = ref('tenant-a ', realm);
        // Either refused outright (typed error) or a separate, empty tenant: never tenant-a's row.
        const got = await storage.get(spaced).catch((err: Error) => err);
        if (got instanceof Error) expect(got.name).toMatch(/Error$/);
        else expect(got).toBeNull();
        await expect(storage.get(ref('Tenant-a', realm))).resolves.toBeNull();
      });
    });

    describe('compare-and-swap (I2, I3)', () => {
      it(`${concurrency} concurrent writers with the same expected fingerprint: exactly one wins`, async () => {
        const r = ref('tenant-cas', '1');
        const { stored } = await save(r);
        const results = Array.from({ length: concurrency }, () => refreshResult());
        const outcomes = await Promise.all(
          results.map((res, i) =>
            storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, res, { owner: `owner-${i}`, generation: i }),
          ),
        );
        const winners = outcomes.map((o, i) => (o ? i : -1)).filter((i) => i >= 0);
        expect(winners).toHaveLength(1);
        const winner = results[winners[0]];
        const after = (await storage.get(r))!;
        expect(after.refreshToken).toBe(winner.refreshToken);
        expect(after.accessToken).toBe(winner.accessToken);
        expect(after.refreshTokenFingerprint).toBe(outcomes[winners[0]]!.refreshTokenFingerprint);
        expect(after.version).toBeGreaterThan(stored.version);
      });

      it('a successful CAS stores the tokens, clears failures and lease, sets lastRefreshedAt', async () => {
        const r = ref('tenant-cas', '2');
        const { stored } = await save(r);
        await storage.recordFailure(r, await lease(r), {
          failureCount: 2,
          nextAttemptAt: new Date(Date.now() - 1000),
          lastErrorCode: 'http_500',
        });
        const held = await lease(r);
        const result = refreshResult({ refreshTokenHardExpiresAt: new Date(Date.now() + 1000 * DAY + 5) });
        const swapped = await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, result, held);
        expect(swapped).toMatchObject({
          status: 'active',
          accessToken: result.accessToken,
          refreshToken: result.refreshToken,
          failureCount: 0,
          nextAttemptAt: null,
          lastErrorCode: null,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        expect(swapped!.lastRefreshedAt).toBeInstanceOf(Date);
        expect(swapped!.accessTokenExpiresAt.getTime()).toBe(result.accessTokenExpiresAt.getTime());
        expect(swapped!.refreshTokenHardExpiresAt!.getTime()).toBe(result.refreshTokenHardExpiresAt!.getTime());
        expect(swapped!.nextRefreshAt.getTime()).toBe(result.nextRefreshAt.getTime());
        expect(swapped!.refreshTokenFingerprint).not.toBe(stored.refreshTokenFingerprint);
        expect(await storage.get(r)).toEqual(swapped);
        // Lease released: another owner can take it at once.
        expect(await storage.acquireLease(r, 'owner-2', 60_000)).not.toBeNull();
      });

      it('a stale fingerprint returns null and changes nothing', async () => {
        const r = ref('tenant-cas', '3');
        const { stored } = await save(r);
        const first = await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, refreshResult(), NO_LEASE);
        expect(first).not.toBeNull();
        const before = (await storage.get(r))!;
        await expect(storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, refreshResult(), NO_LEASE)).resolves.toBeNull();
        expect(await storage.get(r)).toEqual(before);
      });

      it('never writes over a revoked connection', async () => {
        const r = ref('tenant-cas', '4');
        const { stored } = await save(r);
        await storage.markRevoked(r);
        await expect(storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, refreshResult(), NO_LEASE)).resolves.toBeNull();
        expect((await storage.get(r))!.status).toBe('revoked');
      });

      it('returns null for an unknown connection', async () => {
        await expect(storage.compareAndSwapTokens(ref('t-none', '1'), 'k1:nothing', refreshResult(), NO_LEASE)).resolves.toBeNull();
      });
    });

    describe('leases (I1)', () => {
      it(`${concurrency} concurrent acquireLease calls: exactly one gets the connection`, async () => {
        const r = ref('tenant-lease', '1');
        const { input } = await save(r);
        const outcomes = await Promise.all(Array.from({ length: concurrency }, (_, i) => storage.acquireLease(r, `owner-${i}`, 60_000)));
        const winners = outcomes.filter((o) => o !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.refreshToken).toBe(input.refreshToken);
        expect(winners[0]!.leaseOwner).toMatch(/^owner-\d+$/);
        expect(winners[0]!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 30_000);
        expect((await storage.get(r))!.leaseOwner).toBe(winners[0]!.leaseOwner);
      });

      it('renew and release work only for the owner', async () => {
        const r = ref('tenant-lease', '2');
        await save(r);
        const leased = (await storage.acquireLease(r, 'owner-1', 60_000))!;
        const held: Lease = { owner: 'owner-1', generation: leased.leaseGeneration };
        await expect(storage.renewLease(r, { owner: 'owner-2', generation: held.generation }, 60_000)).resolves.toBe(false);
        await storage.releaseLease(r, { owner: 'owner-2', generation: held.generation });
        // The right owner with another generation is not the holder either (I9).
        await expect(storage.renewLease(r, { owner: 'owner-1', generation: held.generation - 1 }, 60_000)).resolves.toBe(false);
        await storage.releaseLease(r, { owner: 'owner-1', generation: held.generation + 1 });
        expect((await storage.get(r))!.leaseOwner).toBe('owner-1');
        await expect(storage.acquireLease(r, 'owner-2', 60_000)).resolves.toBeNull();

        await expect(storage.renewLease(r, held, 120_000)).resolves.toBe(true);
        const renewed = (await storage.get(r))!;
        expect(renewed.leaseExpiresAt!.getTime()).toBeGreaterThan(leased.leaseExpiresAt!.getTime());

        await storage.releaseLease(r, held);
        const released = (await storage.get(r))!;
        expect(released.leaseOwner).toBeNull();
        expect(released.leaseExpiresAt).toBeNull();
        await expect(storage.renewLease(r, held, 60_000)).resolves.toBe(false);
        expect(await storage.acquireLease(r, 'owner-2', 60_000)).not.toBeNull();
      });

      it('an expired lease can be taken over; the old owner then cannot renew or release it', async () => {
        const r = ref('tenant-lease', '3');
        await save(r);
        const old = await lease(r, 'owner-1', 300);
        await expect(storage.acquireLease(r, 'owner-2', 60_000)).resolves.toBeNull();
        await sleep(450);
        const taken = await storage.acquireLease(r, 'owner-2', 60_000);
        expect(taken?.leaseOwner).toBe('owner-2');
        expect(taken!.leaseGeneration).toBeGreaterThan(old.generation);
        await expect(storage.renewLease(r, old, 60_000)).resolves.toBe(false);
        await storage.releaseLease(r, old);
        expect((await storage.get(r))!.leaseOwner).toBe('owner-2');
      });

      it('only active (and reauth_pending) connections can be leased', async () => {
        const needs = ref('tenant-lease', 'needs');
        const revoked = ref('tenant-lease', 'revoked');
        const n = await save(needs);
        await save(revoked);
        await markReauth(needs, n.stored.refreshTokenFingerprint);
        await storage.markRevoked(revoked);
        await expect(storage.acquireLease(needs, 'o', 60_000)).resolves.toBeNull();
        await expect(storage.acquireLease(revoked, 'o', 60_000)).resolves.toBeNull();
        await expect(storage.acquireLease(ref('tenant-lease', 'missing'), 'o', 60_000)).resolves.toBeNull();
      });
    });

    describe('claimDue', () => {
      it(`${claimRows} due rows, 4 concurrent claimers: every row claimed exactly once`, async () => {
        const past = Date.now() - HOUR;
        for (let i = 0; i < claimRows; i++) {
          await save(ref(`tenant-claim-${i % 7}`, `realm-${i}`), { nextRefreshAt: new Date(past + i) });
        }
        const now = new Date();
        const claimer = async (owner: string): Promise<StoredConnection[]> => {
          const mine: StoredConnection[] = [];
          for (;;) {
            const batch = await storage.claimDue(now, 17, owner, 60_000);
            if (batch.length === 0) return mine;
            mine.push(...batch);
          }
        };
        const batches = await Promise.all(['c1', 'c2', 'c3', 'c4'].map(claimer));
        const all = batches.flat();
        const keys = all.map((c) => `${c.tenantId}/${c.realmId}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys).toHaveLength(claimRows);
        for (const [i, batch] of batches.entries()) {
          for (const c of batch) expect(c.leaseOwner).toBe(`c${i + 1}`);
        }
        expect(all.every((c) => c.accessToken.startsWith('AT-') && c.refreshToken.startsWith('RT-'))).toBe(true);
        await expect(storage.claimDue(now, 100, 'late', 60_000)).resolves.toEqual([]);
      });

      it('claims in nextRefreshAt order up to the limit', async () => {
        const base = Date.now() - HOUR;
        await save(ref('tenant-order', 'r3'), { nextRefreshAt: new Date(base + 3000) });
        await save(ref('tenant-order', 'r1'), { nextRefreshAt: new Date(base + 1000) });
        await save(ref('tenant-order', 'r2'), { nextRefreshAt: new Date(base + 2000) });
        const first = await storage.claimDue(new Date(), 2, 'o', 60_000);
        expect(first.map((c) => c.realmId)).toEqual(['r1', 'r2']);
        expect(first[0].leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
      });

      it('skips rows that are not due, leased, backing off, needs_reauth or revoked', async () => {
        const now = Date.now();
        const due = ref('tenant-skip', 'due');
        await save(due, { nextRefreshAt: new Date(now - MINUTE) });
        await save(ref('tenant-skip', 'future'), { nextRefreshAt: new Date(now + MINUTE) });
        const leased = ref('tenant-skip', 'leased');
        await save(leased, { nextRefreshAt: new Date(now - MINUTE) });
        expect(await storage.acquireLease(leased, 'someone', 60_000)).not.toBeNull();
        const backoff = ref('tenant-skip', 'backoff');
        await save(backoff, { nextRefreshAt: new Date(now - MINUTE) });
        await storage.recordFailure(backoff, await lease(backoff, 'x'), {
          failureCount: 1,
          nextAttemptAt: new Date(now + MINUTE),
          lastErrorCode: 'http_503',
        });
        const needs = ref('tenant-skip', 'needs');
        const n = await save(needs, { nextRefreshAt: new Date(now - MINUTE) });
        await markReauth(needs, n.stored.refreshTokenFingerprint);
        const revoked = ref('tenant-skip', 'revoked');
        await save(revoked, { nextRefreshAt: new Date(now - MINUTE) });
        await storage.markRevoked(revoked);

        const claimed = await storage.claimDue(new Date(now), 100, 'claimer', 60_000);
        expect(claimed.map((c) => c.realmId)).toEqual(['due']);
        // Backoff past: claimable again.
        const later = await storage.claimDue(new Date(now + 2 * MINUTE), 100, 'claimer', 60_000);
        expect(later.map((c) => c.realmId).sort()).toEqual(['backoff', 'future']);
      });

      it('takes over rows whose lease expired', async () => {
        const r = ref('tenant-expired', '1');
        await save(r, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        expect(await storage.claimDue(new Date(), 10, 'crashed', 300)).toHaveLength(1);
        await expect(storage.claimDue(new Date(), 10, 'other', 60_000)).resolves.toEqual([]);
        await sleep(450);
        const taken = await storage.claimDue(new Date(), 10, 'other', 60_000);
        expect(taken.map((c) => c.leaseOwner)).toEqual(['other']);
      });
    });

    describe('failures and needs_reauth (I4)', () => {
      it('recordFailure keeps status active, stores the failure and releases the lease', async () => {
        const r = ref('tenant-fail', '1');
        await save(r);
        const held = await lease(r);
        const nextAttemptAt = new Date(Date.now() + 5 * MINUTE + 3);
        await storage.recordFailure(r, held, { failureCount: 4, nextAttemptAt, lastErrorCode: 'timeout' });
        const got = (await storage.get(r))!;
        expect(got).toMatchObject({ status: 'active', failureCount: 4, lastErrorCode: 'timeout', leaseOwner: null });
        expect(got.nextAttemptAt!.getTime()).toBe(nextAttemptAt.getTime());
      });

      it('recordFailure by a non-holder (another owner, or a stale generation) does not disturb a live lease', async () => {
        const r = ref('tenant-fail', '2');
        await save(r);
        const held = await lease(r);
        await storage.recordFailure(
          r,
          { owner: 'owner-2', generation: held.generation },
          { failureCount: 9, nextAttemptAt: null, lastErrorCode: 'http_500' },
        );
        await storage.recordFailure(
          r,
          { owner: 'owner-1', generation: held.generation - 1 },
          { failureCount: 9, nextAttemptAt: null, lastErrorCode: 'http_500' },
        );
        expect((await storage.get(r))!).toMatchObject({ leaseOwner: 'owner-1', failureCount: 0, status: 'active' });
      });

      it('markNeedsReauth with the current fingerprint moves to needs_reauth and releases the lease', async () => {
        const r = ref('tenant-reauth', '1');
        const { stored } = await save(r);
        const held = await lease(r);
        await expect(
          storage.markNeedsReauth(r, held, { fingerprint: stored.refreshTokenFingerprint, errorCode: 'invalid_grant', pendingUntil: null }),
        ).resolves.toBe(true);
        expect((await storage.get(r))!).toMatchObject({
          status: 'needs_reauth',
          lastErrorCode: 'invalid_grant',
          lastErrorFingerprint: stored.refreshTokenFingerprint,
          leaseOwner: null,
        });
      });

      it('markNeedsReauth with a stale fingerprint does nothing', async () => {
        const r = ref('tenant-reauth', '2');
        const { stored } = await save(r);
        const swapped = await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, refreshResult(), NO_LEASE);
        const held = await lease(r);
        const before = (await storage.get(r))!;
        await expect(
          storage.markNeedsReauth(r, held, { fingerprint: stored.refreshTokenFingerprint, errorCode: 'invalid_grant', pendingUntil: null }),
        ).resolves.toBe(false);
        expect(await storage.get(r)).toEqual(before);
        expect(before.refreshToken).toBe(swapped!.refreshToken);
        await expect(
          storage.markNeedsReauth(ref('t-none', '1'), NO_LEASE, { fingerprint: 'x', errorCode: 'invalid_grant', pendingUntil: null }),
        ).resolves.toBe(false);
      });
    });

    describe('refresh protocol v2: fencing generation, begin-call record, reauth_pending (I9)', () => {
      const budget = { callBudgetMs: 20_000, ttlMs: 60_000 };
      const rotatedResult = () => refreshResult();
      const sameTokenResult = (refreshToken: string) => refreshResult({ refreshToken });

      it('every acquisition, claim and reconnect bumps the generation; old rows start at a number', async () => {
        const r = ref('tenant-gen', '1');
        const { stored } = await save(r, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        expect(Number.isInteger(stored.leaseGeneration)).toBe(true);
        expect(stored.inflight).toBeNull();
        expect(stored.lastErrorFingerprint).toBeNull();
        const first = await lease(r, 'g1');
        expect(first.generation).toBeGreaterThan(stored.leaseGeneration);
        // Re-acquiring one's own lease is a new acquisition too.
        const again = (await storage.acquireLease(r, 'g1', 60_000))!;
        expect(again.leaseGeneration).toBeGreaterThan(first.generation);
        await storage.releaseLease(r, { owner: 'g1', generation: again.leaseGeneration });
        const [claimed] = await storage.claimDue(new Date(), 10, 'claimer', 60_000);
        expect(claimed.leaseGeneration).toBeGreaterThan(again.leaseGeneration);
        const reconnected = await save(r);
        expect(reconnected.stored.leaseGeneration).toBeGreaterThan(claimed.leaseGeneration);
        // The claimer's lease died with the reconnect.
        await expect(storage.renewLease(r, { owner: 'claimer', generation: claimed.leaseGeneration }, 60_000)).resolves.toBe(false);
      });

      it('beginCall records the call in flight (store clock) and renews the lease', async () => {
        const r = ref('tenant-begin', '1');
        const { stored } = await save(r);
        const held = await lease(r, 'owner-1', 30_000);
        const before = (await storage.get(r))!;
        await expect(storage.beginCall(r, held, { fingerprint: stored.refreshTokenFingerprint, ...budget })).resolves.toBe(true);
        const after = (await storage.get(r))!;
        expect(after.inflight).toMatchObject({
          fingerprint: stored.refreshTokenFingerprint,
          owner: 'owner-1',
          generation: held.generation,
        });
        expect(after.inflight!.deadlineAt.getTime() - after.inflight!.startedAt.getTime()).toBe(budget.callBudgetMs);
        expect(after.leaseExpiresAt!.getTime()).toBeGreaterThan(before.leaseExpiresAt!.getTime());
        expect(after.leaseGeneration).toBe(held.generation);
        // Resolved by the outcome: a swap clears the record.
        await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotatedResult(), held);
        expect((await storage.get(r))!.inflight).toBeNull();
      });

      it('T3: a lease with less than the call budget left sends nothing', async () => {
        const r = ref('tenant-begin', 'short');
        const { stored } = await save(r);
        const held = await lease(r, 'owner-1', 1_000);
        await expect(
          storage.beginCall(r, held, { fingerprint: stored.refreshTokenFingerprint, callBudgetMs: 5_000, ttlMs: 60_000 }),
        ).resolves.toBe(false);
        expect((await storage.get(r))!.inflight).toBeNull();
        // A lapsed lease nobody took over is refused as well: its holder may be a paused process.
        const lapsed = await (async () => {
          await storage.releaseLease(r, held);
          const l = await lease(r, 'owner-2', 200);
          await sleep(300);
          return l;
        })();
        await expect(
          storage.beginCall(r, lapsed, { fingerprint: stored.refreshTokenFingerprint, callBudgetMs: 100, ttlMs: 60_000 }),
        ).resolves.toBe(false);
        // After a renewal it has the budget again.
        await expect(storage.renewLease(r, lapsed, 60_000)).resolves.toBe(true);
        await expect(
          storage.beginCall(r, lapsed, { fingerprint: stored.refreshTokenFingerprint, callBudgetMs: 100, ttlMs: 60_000 }),
        ).resolves.toBe(true);
      });

      it('T4: a late write that moved the fingerprint makes beginCall refuse; so do a lost lease and a dead status', async () => {
        const r = ref('tenant-begin', 'moved');
        const { stored } = await save(r);
        const held = await lease(r);
        // A paused earlier holder's rotation lands meanwhile (fingerprint fence only).
        await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotatedResult(), {
          owner: 'paused',
          generation: held.generation - 1,
        });
        await expect(storage.beginCall(r, held, { fingerprint: stored.refreshTokenFingerprint, ...budget })).resolves.toBe(false);

        const other = ref('tenant-begin', 'lost');
        const o = await save(other);
        const mine = await lease(other, 'owner-1', 200);
        await sleep(300);
        const successor = await lease(other, 'owner-2');
        await expect(
          storage.beginCall(other, mine, { fingerprint: o.stored.refreshTokenFingerprint, callBudgetMs: 100, ttlMs: 60_000 }),
        ).resolves.toBe(false);
        await expect(
          storage.beginCall(
            other,
            { owner: 'owner-2', generation: successor.generation - 1 },
            { fingerprint: o.stored.refreshTokenFingerprint, ...budget },
          ),
        ).resolves.toBe(false);
        await expect(storage.beginCall(other, successor, { fingerprint: o.stored.refreshTokenFingerprint, ...budget })).resolves.toBe(true);
        await storage.markNeedsReauth(other, successor, {
          fingerprint: o.stored.refreshTokenFingerprint,
          errorCode: 'invalid_grant',
          pendingUntil: null,
        });
        await expect(storage.beginCall(other, successor, { fingerprint: o.stored.refreshTokenFingerprint, ...budget })).resolves.toBe(
          false,
        );
        await expect(storage.beginCall(ref('t-none', '1'), successor, { fingerprint: 'x', ...budget })).resolves.toBe(false);
      });

      it('a successor waits out an unresolved in-flight record of an earlier generation', async () => {
        const r = ref('tenant-inflight', '1');
        const { stored } = await save(r);
        const fp = stored.refreshTokenFingerprint;
        const first = await lease(r, 'first', 60_000);
        await expect(storage.beginCall(r, first, { fingerprint: fp, callBudgetMs: 1_200, ttlMs: 60_000 })).resolves.toBe(true);
        // The first holder's lease lapses (its heartbeat ran with a shorter lease) while its call may still be answered.
        await storage.renewLease(r, first, 150);
        await sleep(250);
        const successorRow = (await storage.acquireLease(r, 'successor', 60_000))!;
        expect(successorRow.inflight).toMatchObject({ fingerprint: fp, owner: 'first', generation: first.generation });
        const successor = { owner: 'successor', generation: successorRow.leaseGeneration };
        await expect(storage.beginCall(r, successor, { fingerprint: fp, ...budget })).resolves.toBe(false);
        await sleep(Math.max(0, successorRow.inflight!.deadlineAt.getTime() - Date.now()) + 250);
        await expect(storage.beginCall(r, successor, { fingerprint: fp, ...budget })).resolves.toBe(true);
        expect((await storage.get(r))!.inflight).toMatchObject({ owner: 'successor', generation: successor.generation });
      });

      it("claimDue with beginCalls records the claimer's call (or leaves it to beginCall); a release clears it; a swap with the basis returns the row as stored", async () => {
        const due = { nextRefreshAt: new Date(Date.now() - MINUTE) };
        const r = ref('tenant-claim-begin', '1');
        const other = ref('tenant-claim-begin', '2');
        const { stored } = await save(r, due);
        await save(other, due);
        const claimed = await storage.claimDue(new Date(), 10, 'begin-claimer', 60_000, undefined, { beginCalls: true });
        const mine = claimed.find((c) => c.realmId === r.realmId)!;
        const released = claimed.find((c) => c.realmId === other.realmId)!;
        const held = { owner: 'begin-claimer', generation: mine.leaseGeneration };
        const row = (await storage.get(r))!;
        // A backend that begins calls on a claim records exactly what beginCall would, up to the lease's expiry.
        expect(row.inflight).toEqual(mine.inflight);
        if (mine.inflight) {
          expect(mine.inflight).toMatchObject({
            fingerprint: stored.refreshTokenFingerprint,
            owner: 'begin-claimer',
            generation: mine.leaseGeneration,
          });
          expect(mine.inflight.deadlineAt.getTime()).toBe(mine.leaseExpiresAt!.getTime());
          expect(mine.inflight.startedAt.getTime()).toBe(mine.updatedAt.getTime());
        }
        // Handed back unsent: the claim's record goes with the lease.
        await storage.releaseLease(other, { owner: 'begin-claimer', generation: released.leaseGeneration });
        expect((await storage.get(other))!.inflight).toBeNull();
        const rotation = rotatedResult();
        const swapped = (await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotation, held, mine))!;
        const after = (await storage.get(r))!;
        const { updatedAt: _u, lastRefreshedAt: _l, ...rest } = after;
        expect(swapped).toMatchObject({
          ...rest,
          refreshToken: rotation.refreshToken,
          inflight: null,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        expect(swapped.lastRefreshedAt).toBeInstanceOf(Date);
      });

      it("claimDue with beginCalls leaves an earlier holder's call in place, inside its deadline or past it: the claimer must see it", async () => {
        const r = ref('tenant-claim-begin', 'unresolved');
        const { stored } = await save(r, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        const fp = stored.refreshTokenFingerprint;
        const first = await lease(r, 'first', 60_000);
        await expect(storage.beginCall(r, first, { fingerprint: fp, callBudgetMs: 5_000, ttlMs: 60_000 })).resolves.toBe(true);
        await storage.renewLease(r, first, 150);
        await sleep(250);
        const [claimed] = await storage.claimDue(new Date(), 10, 'late-claimer', 60_000, undefined, { beginCalls: true });
        expect(claimed.inflight).toMatchObject({ fingerprint: fp, owner: 'first', generation: first.generation });
        expect((await storage.get(r))!.inflight).toMatchObject({ owner: 'first', generation: first.generation });
        await expect(
          storage.beginCall(r, { owner: 'late-claimer', generation: claimed.leaseGeneration }, { fingerprint: fp, ...budget }),
        ).resolves.toBe(false);
        // Past its deadline: still there for the next holder (a refusal then parks, I9).
        const past = ref('tenant-claim-begin', 'past-deadline');
        const p = await save(past, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        const earlier = await lease(past, 'earlier', 60_000);
        await storage.beginCall(past, earlier, { fingerprint: p.stored.refreshTokenFingerprint, callBudgetMs: 100, ttlMs: 60_000 });
        await storage.renewLease(past, earlier, 150);
        await sleep(250);
        const [late] = (await storage.claimDue(new Date(), 10, 'later-claimer', 60_000, undefined, { beginCalls: true })).filter(
          (c) => c.realmId === past.realmId,
        );
        expect(late.inflight).toMatchObject({ owner: 'earlier', generation: earlier.generation });
        const acquired = await storage.acquireLease(past, 'acquirer#1', 60_000, { beginCalls: true });
        expect(acquired).toBeNull(); // the claimer holds it
      });

      it('acquireLease with beginCalls begins the call like a claim, and never over an earlier call', async () => {
        const r = ref('tenant-acquire-begin', '1');
        const { stored } = await save(r);
        const got = (await storage.acquireLease(r, 'acq#1', 60_000, { beginCalls: true }))!;
        expect((await storage.get(r))!.inflight).toEqual(got.inflight);
        if (got.inflight) {
          expect(got.inflight).toMatchObject({
            fingerprint: stored.refreshTokenFingerprint,
            owner: 'acq#1',
            generation: got.leaseGeneration,
          });
          expect(got.inflight.deadlineAt.getTime()).toBe(got.leaseExpiresAt!.getTime());
        }
        // That holder's lease lapses with its call recorded: the next acquisition keeps the record.
        await storage.renewLease(r, { owner: 'acq#1', generation: got.leaseGeneration }, 100);
        await sleep(200);
        const next = (await storage.acquireLease(r, 'acq#2', 60_000, { beginCalls: true }))!;
        expect(next.inflight).toEqual(got.inflight);
      });

      it("acquireLease on the caller's own read (basis) hands back the row as stored: a new generation, the call begun, the refresh token opened", async () => {
        const r = ref('tenant-acquire-basis', '1');
        const { input, stored } = await save(r);
        const read = (await (storage.getForAccess ? storage.getForAccess(r) : storage.get(r)))!;
        const got = (await storage.acquireLease(r, 'basis#1', 60_000, { beginCalls: true, basis: read }))!;
        const row = (await storage.get(r))!;
        // Clock readings may be this process's where the store did not hand its own back.
        const { updatedAt: _u, leaseExpiresAt: _e, inflight: rowCall, ...same } = row;
        expect(got).toMatchObject({ ...same, refreshToken: input.refreshToken, leaseOwner: 'basis#1' });
        expect(got.leaseGeneration).toBe(stored.leaseGeneration + 1);
        expect(got.version).toBeGreaterThan(read.version);
        if (rowCall) {
          expect(got.inflight).toMatchObject({
            fingerprint: stored.refreshTokenFingerprint,
            owner: 'basis#1',
            generation: got.leaseGeneration,
          });
          expect(rowCall).toMatchObject({ owner: 'basis#1', generation: got.leaseGeneration });
        } else expect(got.inflight).toBeNull();
        // The same read again, while the lease is live: nobody else gets it (I1), whatever the basis says.
        await expect(storage.acquireLease(r, 'basis#2', 60_000, { beginCalls: true, basis: read })).resolves.toBeNull();
        // The whole on-demand write: the swap with the acquisition as its basis.
        const rotation = rotatedResult();
        const swapped = (await storage.compareAndSwapTokens(
          r,
          got.refreshTokenFingerprint,
          rotation,
          { owner: 'basis#1', generation: got.leaseGeneration },
          got,
        ))!;
        const after = (await storage.get(r))!;
        expect(swapped).toMatchObject({ refreshToken: rotation.refreshToken, version: after.version, leaseOwner: null, inflight: null });
        expect(after.refreshToken).toBe(rotation.refreshToken);
      });

      it('acquireLease on a basis whose row moved meanwhile acquires as without it: the newer row, a fresh generation, the old holder fenced', async () => {
        const r = ref('tenant-acquire-basis', 'moved');
        const { stored } = await save(r);
        const read = (await (storage.getForAccess ? storage.getForAccess(r) : storage.get(r)))!;
        // Another writer in between: a holder that refreshed (rotation) and one that only took and dropped the lease.
        const writer = await lease(r, 'writer');
        const rotation = rotatedResult();
        expect(await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotation, writer)).not.toBeNull();
        const dropped = await lease(r, 'dropper');
        await storage.releaseLease(r, dropped);
        const moved = (await storage.get(r))!;
        expect(moved.version).toBeGreaterThan(read.version);
        const got = (await storage.acquireLease(r, 'basis#moved', 60_000, { beginCalls: true, basis: read }))!;
        expect(got).toMatchObject({
          refreshToken: rotation.refreshToken,
          refreshTokenFingerprint: moved.refreshTokenFingerprint,
          leaseOwner: 'basis#moved',
          leaseGeneration: moved.leaseGeneration + 1,
        });
        expect(got).toEqual(await storage.get(r));
        const holder = { owner: 'basis#moved', generation: got.leaseGeneration };
        // The fence holds: the read's token is superseded (I3), earlier holders' leases are gone (I9).
        expect(await storage.compareAndSwapTokens(r, read.refreshTokenFingerprint, rotatedResult(), holder, got)).toBeNull();
        await expect(storage.renewLease(r, dropped, 60_000)).resolves.toBe(false);
        await expect(storage.beginCall(r, writer, { fingerprint: got.refreshTokenFingerprint, ...budget })).resolves.toBe(false);
        const next = rotatedResult();
        const swapped = (await storage.compareAndSwapTokens(r, got.refreshTokenFingerprint, next, holder, got))!;
        expect(swapped).toMatchObject({ refreshToken: next.refreshToken, leaseOwner: null });
        expect((await storage.get(r))!.refreshToken).toBe(next.refreshToken);
      });

      it("acquireLease on a basis holding an earlier holder's call record reports it as stored: the new holder must wait it out", async () => {
        const r = ref('tenant-acquire-basis', 'earlier-call');
        const { stored } = await save(r);
        const first = await lease(r, 'first', 60_000);
        await expect(storage.beginCall(r, first, { fingerprint: stored.refreshTokenFingerprint, ...budget })).resolves.toBe(true);
        await storage.renewLease(r, first, 100);
        await sleep(200);
        const read = (await (storage.getForAccess ? storage.getForAccess(r) : storage.get(r)))!;
        expect(read.inflight).toMatchObject({ owner: 'first', generation: first.generation });
        const got = (await storage.acquireLease(r, 'basis#late', 60_000, { beginCalls: true, basis: read }))!;
        expect(got.inflight).toMatchObject({ owner: 'first', generation: first.generation });
        expect(got).toEqual(await storage.get(r));
      });

      it("T6: a stale holder's invalid_grant does not mark the connection", async () => {
        const r = ref('tenant-stale', '1');
        const { stored } = await save(r);
        const stale = await lease(r, 'stale', 200);
        await sleep(300);
        await lease(r, 'rightful');
        await expect(
          storage.markNeedsReauth(r, stale, {
            fingerprint: stored.refreshTokenFingerprint,
            errorCode: 'invalid_grant',
            pendingUntil: null,
          }),
        ).resolves.toBe(false);
        await expect(
          storage.recordFailure(r, stale, { failureCount: 5, nextAttemptAt: null, lastErrorCode: 'server_error' }),
        ).resolves.toBeUndefined();
        expect((await storage.get(r))!).toMatchObject({ status: 'active', leaseOwner: 'rightful', failureCount: 0, lastErrorCode: null });
      });

      it('T1: a rightful invalid_grant parks the connection as reauth_pending; the paused rotation revives it', async () => {
        const r = ref('tenant-park', '1');
        const { stored } = await save(r);
        const fp = stored.refreshTokenFingerprint;
        const paused = await lease(r, 'paused', 60_000);
        await storage.beginCall(r, paused, { fingerprint: fp, callBudgetMs: 100, ttlMs: 60_000 });
        await storage.renewLease(r, paused, 100);
        await sleep(200);
        const rightful = await lease(r, 'rightful');
        const pendingUntil = new Date(Date.now() + HOUR);
        await expect(
          storage.markNeedsReauth(r, rightful, { fingerprint: fp, errorCode: 'rotation_response_lost', pendingUntil }),
        ).resolves.toBe(true);
        const parked = (await storage.get(r))!;
        expect(parked).toMatchObject({
          status: 'reauth_pending',
          lastErrorCode: 'rotation_response_lost',
          lastErrorFingerprint: fp,
          leaseOwner: null,
          inflight: null,
        });
        expect(parked.nextRefreshAt.getTime()).toBe(pendingUntil.getTime());
        // Not due before its wait ends; leasable (to be reconciled) and due after it.
        await expect(storage.claimDue(new Date(), 10, 'early', 60_000)).resolves.toEqual([]);
        // The paused holder wakes with the rotation Intuit gave it: stored, whatever its generation.
        const rotation = rotatedResult();
        const revived = await storage.compareAndSwapTokens(r, fp, rotation, paused);
        expect(revived).toMatchObject({
          status: 'active',
          refreshToken: rotation.refreshToken,
          lastErrorCode: null,
          lastErrorFingerprint: null,
          inflight: null,
        });
        expect((await storage.get(r))!.refreshToken).toBe(rotation.refreshToken);
      });

      it('a parked connection is claimed when its wait ends and a holder reconciles it to needs_reauth', async () => {
        const r = ref('tenant-park', '2');
        const { stored } = await save(r);
        const holder = await lease(r);
        await storage.markNeedsReauth(r, holder, {
          fingerprint: stored.refreshTokenFingerprint,
          errorCode: 'rotation_response_lost',
          pendingUntil: new Date(Date.now() - 1),
        });
        const [claimed] = await storage.claimDue(new Date(), 10, 'reconciler', 60_000);
        expect(claimed).toMatchObject({ status: 'reauth_pending', leaseOwner: 'reconciler' });
        const reconciler = { owner: 'reconciler', generation: claimed.leaseGeneration };
        // Nothing may be sent on a parked connection.
        await expect(storage.beginCall(r, reconciler, { fingerprint: stored.refreshTokenFingerprint, ...budget })).resolves.toBe(false);
        await expect(
          storage.markNeedsReauth(r, reconciler, {
            fingerprint: stored.refreshTokenFingerprint,
            errorCode: 'rotation_response_lost',
            pendingUntil: null,
          }),
        ).resolves.toBe(true);
        expect((await storage.get(r))!).toMatchObject({
          status: 'needs_reauth',
          lastErrorCode: 'rotation_response_lost',
          leaseOwner: null,
        });
        // A rotation for exactly that token still revives it (it is the only live token).
        const rotation = rotatedResult();
        expect(await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotation, NO_LEASE)).toMatchObject({
          status: 'active',
          refreshToken: rotation.refreshToken,
        });
      });

      it('T2: a stale non-rotating write after needs_reauth is refused, and never revives a dead token', async () => {
        const r = ref('tenant-late', '1');
        const { stored, input } = await save(r);
        const stale = await lease(r, 'stale', 200);
        await sleep(300);
        const rightful = await lease(r, 'rightful');
        await storage.markNeedsReauth(r, rightful, {
          fingerprint: stored.refreshTokenFingerprint,
          errorCode: 'invalid_grant',
          pendingUntil: null,
        });
        await expect(
          storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, sameTokenResult(input.refreshToken), stale),
        ).resolves.toBeNull();
        // Not even with the generation that marked it: a non-rotating answer needs an active row.
        await expect(
          storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, sameTokenResult(input.refreshToken), rightful),
        ).resolves.toBeNull();
        expect((await storage.get(r))!).toMatchObject({ status: 'needs_reauth', refreshToken: input.refreshToken });
      });

      it('a late non-rotating write from a stale generation changes nothing while active', async () => {
        const r = ref('tenant-late', '2');
        const { stored, input } = await save(r);
        const stale = await lease(r, 'stale', 200);
        await sleep(300);
        await lease(r, 'rightful');
        const before = (await storage.get(r))!;
        await expect(
          storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, sameTokenResult(input.refreshToken), stale),
        ).resolves.toBeNull();
        expect(await storage.get(r)).toEqual(before);
      });

      it("the holder's own non-rotating answer is stored and ends its lease", async () => {
        const r = ref('tenant-late', '3');
        const { stored, input } = await save(r);
        const held = await lease(r);
        const result = sameTokenResult(input.refreshToken);
        const swapped = await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, result, held);
        expect(swapped).toMatchObject({
          status: 'active',
          accessToken: result.accessToken,
          refreshToken: input.refreshToken,
          leaseOwner: null,
        });
        expect(swapped!.refreshTokenFingerprint).toBe(stored.refreshTokenFingerprint);
      });

      it("a late rotated write leaves the new holder's lease alone; the new holder then sends nothing", async () => {
        const r = ref('tenant-late', '4');
        const { stored } = await save(r);
        const stale = await lease(r, 'stale', 200);
        await sleep(300);
        const next = await lease(r, 'next');
        const rotation = rotatedResult();
        expect(await storage.compareAndSwapTokens(r, stored.refreshTokenFingerprint, rotation, stale)).toMatchObject({
          refreshToken: rotation.refreshToken,
          leaseOwner: 'next',
        });
        await expect(storage.beginCall(r, next, { fingerprint: stored.refreshTokenFingerprint, ...budget })).resolves.toBe(false);
        await storage.releaseLease(r, next);
        expect((await storage.get(r))!.leaseOwner).toBeNull();
      });

      it("releasing or failing clears only the holder's own in-flight record", async () => {
        const r = ref('tenant-release', '1');
        const { stored } = await save(r);
        const held = await lease(r);
        await storage.beginCall(r, held, { fingerprint: stored.refreshTokenFingerprint, ...budget });
        await storage.recordFailure(r, held, { failureCount: 1, nextAttemptAt: null, lastErrorCode: 'network_in_doubt' });
        expect((await storage.get(r))!).toMatchObject({ inflight: null, leaseOwner: null, lastErrorCode: 'network_in_doubt' });
        const second = await lease(r);
        await storage.beginCall(r, second, { fingerprint: stored.refreshTokenFingerprint, ...budget });
        await storage.releaseLease(r, second);
        expect((await storage.get(r))!).toMatchObject({ inflight: null, leaseOwner: null });
      });

      it('reconnect clears the in-flight record, the parked state and the refused fingerprint', async () => {
        const r = ref('tenant-reconnect-v2', '1');
        const { stored } = await save(r);
        const held = await lease(r);
        await storage.beginCall(r, held, { fingerprint: stored.refreshTokenFingerprint, ...budget });
        await storage.markNeedsReauth(r, held, {
          fingerprint: stored.refreshTokenFingerprint,
          errorCode: 'invalid_grant',
          pendingUntil: new Date(Date.now() + HOUR),
        });
        const again = await save(r);
        expect(again.stored).toMatchObject({ status: 'active', inflight: null, lastErrorFingerprint: null, lastErrorCode: null });
      });
    });

    describe('refresh protocol v2 through the refresher, over this backend (I9)', () => {
      let h: QuickBooksTesting | null = null;
      afterEach(async () => {
        await h?.close().catch(() => undefined);
        h = null;
      });

      /** The backend as the module sees it, except that close() only marks it closed: every later call fails like a closed pool. */
      function closeable(inner: TokenStorage): { storage: TokenStorage; closed: () => boolean } {
        let closed = false;
        const proxy = new Proxy(inner, {
          get(target, prop, receiver) {
            if (prop === 'close') return async () => void (closed = true);
            const value = Reflect.get(target, prop, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) =>
              closed ? Promise.reject(new StorageError('the store was closed', 'storage_unavailable')) : value.apply(target, args);
          },
        });
        return { storage: proxy, closed: () => closed };
      }

      it('T5: shutdown with an on-demand call in flight stores the rotated token and releases the lease', async () => {
        const guarded = closeable(storage);
        h = await createQuickBooksTestingModule({
          storage: { type: 'custom', storage: guarded.storage },
          options: { accessTokenCacheSeconds: 0 },
          connectTenant: false,
        });
        const realmId = (await h.connectRealm('tenant-drain')).realmId;
        const r = ref('tenant-drain', realmId);
        h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 700, grantType: 'refresh_token' });
        h.emulator.state.clock.advance(25 * 3600); // access expired, and the next refresh rotates
        const onDemand = h.tokens.getAccessToken(r);
        await sleep(150); // the token call is out
        const app = h;
        h = null;
        await app.close();
        expect(guarded.closed()).toBe(true);
        await expect(onDemand).resolves.toEqual(expect.any(String));
        const row = (await storage.get(r))!;
        const grant = app.emulator.state.store.latestGrantForRealm(realmId)!;
        expect(row).toMatchObject({ status: 'active', leaseOwner: null, inflight: null });
        expect(row.refreshToken).toBe(grant.current.value);
        expect(grant.rotations).toBe(1);
        expect(grant.supersededUses).toBe(0);
        expect(app.logs.lines.some((l) => /shutdown drained 1 refresh\(es\) in flight/.test(l))).toBe(true);
        await app.emulator.close();
      });

      it('after shutdown began, a refresh fails with a typed, retryable error and sends nothing', async () => {
        h = await createQuickBooksTestingModule({
          storage: { type: 'custom', storage: closeable(storage).storage },
          options: { accessTokenCacheSeconds: 0 },
          connectTenant: false,
        });
        const realmId = (await h.connectRealm('tenant-after-shutdown')).realmId;
        const refresher = h.app.get(TokenRefresher);
        refresher.beginShutdown();
        h.emulator.state.clock.advance(2 * 3600);
        const err = await h.tokens.getAccessToken(ref('tenant-after-shutdown', realmId)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RefreshShutdownError);
        expect((err as RefreshShutdownError).retryAfterMs).toBeGreaterThan(0);
        expect(h.emulator.state.store.latestGrantForRealm(realmId)!.refreshes).toBe(0);
      });

      it("a successor waits out an earlier holder's unresolved call before it sends the same token", async () => {
        h = await createQuickBooksTestingModule({
          storage: { type: 'custom', storage: closeable(storage).storage },
          options: { accessTokenCacheSeconds: 0 },
          connectTenant: false,
        });
        const realmId = (await h.connectRealm('tenant-successor')).realmId;
        const r = ref('tenant-successor', realmId);
        const before = (await storage.get(r))!;
        // A replica began a call with this token, then stopped heartbeating (paused, partitioned, or dead).
        const dead = await lease(r, 'dead-replica#1');
        expect(await storage.beginCall(r, dead, { fingerprint: before.refreshTokenFingerprint, callBudgetMs: 1_500, ttlMs: 60_000 })).toBe(
          true,
        );
        await storage.renewLease(r, dead, 100);
        await sleep(150);
        const deadline = (await storage.get(r))!.inflight!.deadlineAt.getTime();
        const waits: number[] = [];
        h.app.get(AuthEventsPublisher).listen((s) => {
          if (s.kind === 'refresh_protocol' && s.signal.kind === 'inflight_wait') waits.push(s.signal.waitedMs);
        });
        h.emulator.state.clock.advance(2 * 3600);
        const started = Date.now();
        await expect(h.tokens.getAccessToken(r)).resolves.toEqual(expect.any(String));
        // Sent only once the earlier call's budget had passed (store clock, measured from our lease).
        expect(Date.now()).toBeGreaterThanOrEqual(deadline - 100);
        expect(Date.now() - started).toBeGreaterThan(600);
        expect(waits).toHaveLength(1);
        const grant = h.emulator.state.store.latestGrantForRealm(realmId)!;
        expect(grant.refreshes).toBe(1);
        expect((await storage.get(r))!).toMatchObject({ status: 'active', leaseOwner: null, inflight: null });
      });

      it("a stale holder's invalid_grant after an interrupted rotation parks the connection, no reauth event, and the paused rotation revives it", async () => {
        h = await createQuickBooksTestingModule({
          storage: { type: 'custom', storage: closeable(storage).storage },
          options: { accessTokenCacheSeconds: 0, reauthPendingMs: 60_000 },
          connectTenant: false,
        });
        const realmId = (await h.connectRealm('tenant-paused')).realmId;
        const r = ref('tenant-paused', realmId);
        const reauthEvents: string[] = [];
        h.app.get(AuthEventsPublisher).subscribe((name) => {
          if (name === 'quickbooks.reauth_required') reauthEvents.push(name);
        });
        const before = (await storage.get(r))!;
        // A paused replica sent this token and Intuit rotated it; the answer has not been stored.
        const paused = await lease(r, 'paused-replica#1');
        await storage.beginCall(r, paused, { fingerprint: before.refreshTokenFingerprint, callBudgetMs: 300, ttlMs: 60_000 });
        h.emulator.state.clock.advance(25 * 3600);
        const intuitAnswer = await fetch(`${h.emulator.url}/oauth2/v1/tokens/bearer`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${h.options.clientId}:${h.options.clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refreshToken }).toString(),
        }).then(
          (res) =>
            res.json() as Promise<{ access_token: string; refresh_token: string; expires_in: number; x_refresh_token_expires_in: number }>,
        );
        expect(intuitAnswer.refresh_token).not.toBe(before.refreshToken);
        await storage.renewLease(r, paused, 100);
        await sleep(400); // lease and call budget both passed: a successor may send
        // The successor sends the superseded token, gets invalid_grant and parks the connection.
        const err = await h.tokens.getAccessToken(r).catch((e: unknown) => e);
        expect((err as Error).constructor.name).toBe('QuickBooksUnavailableError');
        expect((await storage.get(r))!).toMatchObject({ status: 'reauth_pending', lastErrorCode: 'rotation_response_lost' });
        expect(reauthEvents).toEqual([]);
        // The paused replica wakes and stores what Intuit gave it: the connection lives.
        const now = h.emulator.state.clock.now();
        const revived = await storage.compareAndSwapTokens(
          r,
          before.refreshTokenFingerprint,
          {
            accessToken: intuitAnswer.access_token,
            refreshToken: intuitAnswer.refresh_token,
            accessTokenExpiresAt: new Date(now + intuitAnswer.expires_in * 1000),
            refreshTokenExpiresAt: new Date(now + intuitAnswer.x_refresh_token_expires_in * 1000),
            refreshTokenHardExpiresAt: null,
            nextRefreshAt: new Date(now + 1800_000),
          },
          paused,
        );
        expect(revived).toMatchObject({ status: 'active', refreshToken: intuitAnswer.refresh_token });
        await expect(h.tokens.getAccessToken(r)).resolves.toBe(intuitAnswer.access_token);
        expect(reauthEvents).toEqual([]);
      });
    });

    describe('revoke', () => {
      it('markRevoked wipes tokens, keeps the row and reports whether it existed', async () => {
        const r = ref('tenant-revoke', '1');
        const { input } = await save(r);
        await storage.acquireLease(r, 'o', 60_000);
        await expect(storage.markRevoked(r)).resolves.toBe(true);
        const got = (await storage.get(r))!;
        expect(got).toMatchObject({ status: 'revoked', accessToken: '', refreshToken: '', leaseOwner: null });
        const dump = (await harness.raw.dump()).join('\n');
        for (const secret of [input.accessToken, input.refreshToken])
          for (const form of encodings(secret)) expect(dump).not.toContain(form);
        await expect(storage.markRevoked(ref('tenant-revoke', 'missing'))).resolves.toBe(false);
        // A new connect brings it back.
        const again = await save(r);
        expect((await storage.get(r))!).toMatchObject({ status: 'active', refreshToken: again.input.refreshToken });
      });
    });

    describePendingRevocation(() => ({ storage, harness, keysSpec: oldKey, newKey: newKeySpec, track: (s) => extraStorages.push(s) }));
    describeLastUsed(() => ({ storage }));
    describeReconnectCampaign(() => ({ storage, harness, keysSpec: oldKey, track: (s) => extraStorages.push(s) }));
    describeRevokeFence(() => ({ storage, harness, keysSpec: oldKey, track: (s) => extraStorages.push(s) }));

    describe('encryption at rest (I6)', () => {
      it('stores no token in plain, base64, base64url, URL-encoded or hex form', async () => {
        const r1 = ref('tenant-enc', '1');
        const r2 = ref('tenant-enc', '2');
        const s1 = await save(r1);
        const s2 = await save(r2);
        const result = refreshResult();
        await storage.compareAndSwapTokens(r2, s2.stored.refreshTokenFingerprint, result, NO_LEASE);
        const dump = await harness.raw.dump();
        expect(dump.length).toBeGreaterThan(0);
        expect(dump.some((v) => v.includes('v1:k1:'))).toBe(true);
        const text = dump.join('\n');
        for (const secret of [
          s1.input.accessToken,
          s1.input.refreshToken,
          s2.input.accessToken,
          s2.input.refreshToken,
          result.accessToken,
          result.refreshToken,
        ]) {
          for (const form of encodings(secret)) expect(text).not.toContain(form);
        }
      });

      it('every write uses a fresh IV: the same token saved twice gives two ciphertexts', async () => {
        const shared = token('RT');
        await save(ref('tenant-iv', '1'), { refreshToken: shared, accessToken: shared });
        const values = (await harness.raw.dump()).filter((v) => v.startsWith('v1:'));
        expect(values.length).toBeGreaterThanOrEqual(2);
        expect(new Set(values).size).toBe(values.length);
      });

      it.each([
        ['a flipped byte', flipMiddle],
        ['truncation', (c: string) => c.slice(0, 20)],
        ['a cut tag', (c: string) => c.slice(0, -4)],
        ['an unknown key id', (c: string) => c.replace(/^v1:k1:/, 'v1:k9:')],
      ])('tampering (%s) fails with a typed DecryptionError that contains no token', async (_label, mutate) => {
        const r = ref('tenant-tamper', '1');
        const other = ref('tenant-tamper-other', '1');
        const { input } = await save(r);
        const o = await save(other);
        await harness.raw.tamper(r, 'refresh_token', mutate);
        const err = await storage.get(r).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DecryptionError);
        const message = `${(err as Error).message} ${(err as Error).stack}`;
        for (const secret of [input.accessToken, input.refreshToken]) expect(message).not.toContain(secret);
        // Other tenants are unaffected (I8).
        expect((await storage.get(other))!.refreshToken).toBe(o.input.refreshToken);
      });

      it('getForAccess reads the access token and leaves the refresh token sealed (one decryption on the access path)', async () => {
        const r = ref('tenant-for-access', '1');
        await save(r);
        const whole = await storage.get(r);
        const forAccess = await storage.getForAccess!(r);
        expect(forAccess).not.toHaveProperty('refreshToken');
        const { refreshToken: _sealed, ...expected } = whole!;
        expect(forAccess).toEqual(expected);
        expect(await storage.getForAccess!(ref('tenant-for-access', '2'))).toBeNull();
        // I7: the same realm under another tenant is another connection.
        expect(await storage.getForAccess!(ref('tenant-for-access-other', '1'))).toBeNull();
      });

      it('getForAccess: a tampered refresh token does not stop the access token; get still refuses the row', async () => {
        const r = ref('tenant-for-access', '3');
        const { input } = await save(r);
        await harness.raw.tamper(r, 'refresh_token', flipMiddle);
        expect((await storage.getForAccess!(r))!.accessToken).toBe(input.accessToken);
        await expect(storage.get(r)).rejects.toBeInstanceOf(DecryptionError);
      });

      it('acquireLease on a getForAccess read whose refresh token was tampered with fails with a typed DecryptionError that contains no token', async () => {
        const r = ref('tenant-for-access', 'tampered-basis');
        const { input } = await save(r);
        await harness.raw.tamper(r, 'refresh_token', flipMiddle);
        const read = (await storage.getForAccess!(r))!;
        const err = await storage.acquireLease(r, 'basis#tampered', 60_000, { beginCalls: true, basis: read }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DecryptionError);
        const message = `${(err as Error).message} ${(err as Error).stack}`;
        for (const secret of [input.accessToken, input.refreshToken]) expect(message).not.toContain(secret);
      });

      it('getForAccess: a tampered access token fails with a typed DecryptionError that contains no token', async () => {
        const r = ref('tenant-for-access', '4');
        const { input } = await save(r);
        await harness.raw.tamper(r, 'access_token', flipMiddle);
        const err = await storage.getForAccess!(r).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DecryptionError);
        const message = `${(err as Error).message} ${(err as Error).stack}`;
        for (const secret of [input.accessToken, input.refreshToken]) expect(message).not.toContain(secret);
      });

      it('a tampered access token also fails', async () => {
        const r = ref('tenant-tamper', '2');
        await save(r);
        await harness.raw.tamper(r, 'access_token', flipMiddle);
        await expect(storage.get(r)).rejects.toBeInstanceOf(DecryptionError);
      });

      it('a ciphertext copied to another row (other tenant, same realm) fails to decrypt', async () => {
        const a = ref('tenant-copy-a', '777');
        const b = ref('tenant-copy-b', '777');
        await save(a);
        await save(b);
        await harness.raw.copyField(a, b, 'refresh_token');
        await expect(storage.get(b)).rejects.toBeInstanceOf(DecryptionError);
        expect(await storage.get(a)).not.toBeNull();
      });

      it('a ciphertext copied to another realm of the same tenant fails to decrypt', async () => {
        const a = ref('tenant-copy', '1');
        const b = ref('tenant-copy', '2');
        await save(a);
        await save(b);
        await harness.raw.copyField(a, b, 'access_token');
        await expect(storage.get(b)).rejects.toBeInstanceOf(DecryptionError);
      });

      it('access and refresh ciphertexts swapped between fields fail to decrypt', async () => {
        const r = ref('tenant-swap', '1');
        await save(r);
        await harness.raw.swapFields(r);
        await expect(storage.get(r)).rejects.toBeInstanceOf(DecryptionError);
      });

      it('a row that cannot be decrypted does not block claimDue for the others (I8)', async () => {
        const bad = ref('tenant-bad', '1');
        const good = ref('tenant-good', '1');
        await save(bad, { nextRefreshAt: new Date(Date.now() - 2 * MINUTE) });
        await save(good, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        await harness.raw.tamper(bad, 'refresh_token', flipMiddle);
        const claimed = await storage.claimDue(new Date(), 10, 'o', 60_000);
        expect(claimed.map((c) => c.tenantId)).toEqual(['tenant-good']);
      });
    });

    describe('undecryptable rows are recoverable (I8)', () => {
      /** The ids and reason of an undecryptable record, asserting it never carries a token. */
      function expectUndecryptable(
        record: ConnectionRecord | null | undefined,
        r: ConnectionRef,
        secrets: string[],
      ): UndecryptableConnection {
        expect(record).toBeTruthy();
        expect(isUndecryptable(record!)).toBe(true);
        const u = record as UndecryptableConnection;
        expect(u).toMatchObject({ tenantId: r.tenantId, realmId: r.realmId, undecryptable: true });
        expect(typeof u.reason).toBe('string');
        expect(u).not.toHaveProperty('accessToken');
        expect(u).not.toHaveProperty('refreshToken');
        const text = JSON.stringify(u);
        for (const secret of secrets) expect(text).not.toContain(secret);
        return u;
      }

      it('a tampered row: getRecord and listRecordsByTenant return it marked, with its other fields; get still throws', async () => {
        const r = ref('tenant-undec', '1');
        const fine = ref('tenant-undec', '2');
        const { input, stored } = await save(r);
        const f = await save(fine);
        await harness.raw.tamper(r, 'refresh_token', flipMiddle);
        const u = expectUndecryptable(await storage.getRecord(r), r, [input.accessToken, input.refreshToken]);
        // Tampering one token leaves the rest readable, in every backend (the file's document too).
        expect(u.details).toMatchObject({ status: 'active', environment: 'sandbox', scopes: input.scopes, version: stored.version });
        expect(u.details!.accessTokenExpiresAt.getTime()).toBe(input.accessTokenExpiresAt.getTime());
        expect(u.details!.createdAt.getTime()).toBe(stored.createdAt.getTime());
        await expect(storage.get(r)).rejects.toBeInstanceOf(DecryptionError);
        const list = await storage.listRecordsByTenant('tenant-undec');
        expect(list.map((c) => [c.realmId, isUndecryptable(c)])).toEqual([
          ['1', true],
          ['2', false],
        ]);
        expect((list[1] as StoredConnection).refreshToken).toBe(f.input.refreshToken);
        expect(await storage.getRecord(fine)).toEqual(await storage.get(fine));
        await expect(storage.getRecord(ref('tenant-undec', '3'))).resolves.toBeNull();
        await expect(storage.listRecordsByTenant('tenant-nobody')).resolves.toEqual([]);
      });

      it('rows under a key removed from the ring are listed as undecryptable, never a failed list', async () => {
        const a = ref('tenant-gone-key', '1');
        const b = ref('tenant-gone-key', '2');
        const sa = await save(a);
        const sb = await save(b);
        const newOnly = await harness.reopenWithKeys(newKeySpec('k2'));
        extraStorages.push(newOnly);
        await expect(newOnly.listByTenant('tenant-gone-key')).rejects.toBeInstanceOf(DecryptionError);
        const list = await newOnly.listRecordsByTenant('tenant-gone-key');
        expect(list.map((c) => c.realmId).sort()).toEqual(['1', '2']);
        for (const c of list) {
          const u = expectUndecryptable(c, c, [sa.input.refreshToken, sb.input.refreshToken, sa.input.accessToken, sb.input.accessToken]);
          expect(u.reason).toMatch(/k1/); // names the missing key id, nothing else
          // Fields kept outside the ciphertext stay readable; a store that seals the whole record has none.
          if (u.details !== null) expect(u.details.status).toBe('active');
        }
      });

      it.each([
        ['tampered', 'tamper'],
        ['under a removed key', 'removed-key'],
      ] as const)('saveConnection (reconnect) overwrites a row %s without reading it', async (_label, how) => {
        const r = ref('tenant-reconnect-bad', '1');
        await save(r);
        let target = storage;
        if (how === 'tamper') {
          await harness.raw.tamper(r, 'access_token', flipMiddle);
        } else {
          target = await harness.reopenWithKeys(newKeySpec('k2'));
          extraStorages.push(target);
        }
        expect(isUndecryptable((await target.getRecord(r))!)).toBe(true);
        const input = newConnection(r);
        const saved = await target.saveConnection(input);
        expect(saved).toMatchObject({
          status: 'active',
          accessToken: input.accessToken,
          refreshToken: input.refreshToken,
          leaseOwner: null,
          inflight: null,
        });
        expect(await target.get(r)).toEqual(saved);
        expect(isUndecryptable((await target.getRecord(r))!)).toBe(false);
        expect(await target.listRecordsByTenant('tenant-reconnect-bad')).toHaveLength(1);
      });

      it.each([
        ['tampered', 'tamper'],
        ['under a removed key', 'removed-key'],
      ] as const)('markRevoked (disconnect) wipes a row %s: revoked, no tokens, readable again', async (_label, how) => {
        const r = ref('tenant-revoke-bad', '1');
        const { input } = await save(r);
        let target = storage;
        if (how === 'tamper') {
          await harness.raw.tamper(r, 'refresh_token', flipMiddle);
        } else {
          target = await harness.reopenWithKeys(newKeySpec('k2'));
          extraStorages.push(target);
        }
        await expect(target.markRevoked(r)).resolves.toBe(true);
        const revoked = (await target.get(r))!;
        expect(revoked).toMatchObject({
          tenantId: r.tenantId,
          realmId: r.realmId,
          status: 'revoked',
          accessToken: '',
          refreshToken: '',
          refreshTokenFingerprint: '',
          leaseOwner: null,
        });
        expect(isUndecryptable((await target.getRecord(r))!)).toBe(false);
        const text = (await harness.raw.dump()).join('\n');
        for (const secret of [input.accessToken, input.refreshToken]) expect(text).not.toContain(secret);
        // Revoked rows are never due, and can be connected again.
        await expect(target.claimDue(new Date(Date.now() + 2 * HOUR), 10, 'o', 60_000)).resolves.toEqual([]);
        expect((await target.saveConnection(newConnection(r))).status).toBe('active');
      });

      it('claimDue reports an undecryptable due row (ids only) and never hands it out', async () => {
        const bad = ref('tenant-claim-bad', '1');
        const good = ref('tenant-claim-good', '1');
        const b = await save(bad, { nextRefreshAt: new Date(Date.now() - 2 * MINUTE) });
        await save(good, { nextRefreshAt: new Date(Date.now() - MINUTE) });
        await harness.raw.tamper(bad, 'refresh_token', flipMiddle);
        const reported: UndecryptableConnection[] = [];
        const claimed = await storage.claimDue(new Date(), 10, 'o', 60_000, (row) => reported.push(row));
        expect(claimed.map((c) => c.tenantId)).toEqual(['tenant-claim-good']);
        expect(reported).toHaveLength(1);
        expectUndecryptable(reported[0], bad, [b.input.accessToken, b.input.refreshToken]);
        // Claimed again later: reported again (a backend that leases it waits out the lease first), never claimed.
        const again: UndecryptableConnection[] = [];
        const later = await storage.claimDue(new Date(Date.now() + 2 * HOUR), 10, 'o2', 60_000, (row) => again.push(row));
        expect(later.map((c) => c.tenantId)).not.toContain('tenant-claim-bad');
        expect(again.length).toBeLessThanOrEqual(1);
      });
    });

    describe('key rotation', () => {
      it('old rows stay readable under a new,old ring; reencrypt moves them to the new key; then the new key alone reads everything', async () => {
        const refs = [ref('tenant-rot', '1'), ref('tenant-rot', '2'), ref('tenant-rot-2', '1')];
        const saved = new Map<string, NewConnection>();
        for (const r of refs) saved.set(`${r.tenantId}/${r.realmId}`, (await save(r)).input);
        await storage.markRevoked(ref('tenant-rot-2', '1'));

        const newKey = newKeySpec('k2');
        const rotated = await harness.reopenWithKeys(`${newKey},${oldKey}`);
        extraStorages.push(rotated);
        for (const r of refs.slice(0, 2)) {
          expect((await rotated.get(r))!.refreshToken).toBe(saved.get(`${r.tenantId}/${r.realmId}`)!.refreshToken);
        }
        const fpBefore = (await rotated.get(refs[0]))!.refreshTokenFingerprint;

        let cursor: string | null = null;
        let rewritten = 0;
        do {
          const page: { refs: ConnectionRef[]; nextCursor: string | null } = await rotated.listRefs(cursor, 2);
          for (const r of page.refs) if (await rotated.reencrypt(r)) rewritten++;
          cursor = page.nextCursor;
        } while (cursor !== null);
        expect(rewritten).toBe(2); // the revoked row has no tokens
        await expect(rotated.reencrypt(refs[0])).resolves.toBe(false); // already on k2

        const dump = (await harness.raw.dump()).filter((v) => v.startsWith('v1:'));
        expect(dump.length).toBeGreaterThan(0);
        expect(dump.every((v) => v.startsWith('v1:k2:'))).toBe(true);

        const newOnly = await harness.reopenWithKeys(newKey);
        extraStorages.push(newOnly);
        for (const r of refs.slice(0, 2)) {
          const got = (await newOnly.get(r))!;
          expect(got.refreshToken).toBe(saved.get(`${r.tenantId}/${r.realmId}`)!.refreshToken);
          expect(got.accessToken).toBe(saved.get(`${r.tenantId}/${r.realmId}`)!.accessToken);
        }
        // Re-encryption keeps the fingerprint, so an in-flight refresh still wins its CAS.
        expect((await newOnly.get(refs[0]))!.refreshTokenFingerprint).toBe(fpBefore);
        expect(await newOnly.compareAndSwapTokens(refs[0], fpBefore, refreshResult(), NO_LEASE)).not.toBeNull();
        // Old ring without the new key cannot read re-encrypted rows: typed error, not garbage.
        await expect(storage.get(refs[1])).rejects.toBeInstanceOf(DecryptionError);
      });
    });

    describe('stats', () => {
      it('counts by status, expiring and expired access tokens, soonest expiries and stale leases', async () => {
        const now = Date.now();
        const expired = ref('tenant-stats', 'expired');
        // Refreshed ahead (due before the access token expires) but overdue: counted.
        await save(expired, {
          accessTokenExpiresAt: new Date(now - MINUTE),
          refreshTokenExpiresAt: new Date(now + 50 * DAY),
          nextRefreshAt: new Date(now - 31 * MINUTE),
        });
        await save(ref('tenant-stats', 'soon'), {
          accessTokenExpiresAt: new Date(now + MINUTE),
          refreshTokenExpiresAt: new Date(now + 10 * DAY),
          nextRefreshAt: new Date(now - 29 * MINUTE),
        });
        // Kept alive only (proactive 'recent', next refresh after its expiry): expired by design, not counted.
        await save(ref('tenant-stats', 'kept-alive'), {
          accessTokenExpiresAt: new Date(now - 2 * HOUR),
          refreshTokenExpiresAt: new Date(now + 99 * DAY),
          nextRefreshAt: new Date(now + DAY),
        });
        await save(ref('tenant-stats', 'later'), {
          accessTokenExpiresAt: new Date(now + HOUR),
          refreshTokenExpiresAt: new Date(now + 90 * DAY),
        });
        const needs = ref('tenant-stats', 'needs');
        const n = await save(needs, { accessTokenExpiresAt: new Date(now - HOUR), refreshTokenExpiresAt: new Date(now + DAY) });
        await markReauth(needs, n.stored.refreshTokenFingerprint);
        const parked = ref('tenant-stats', 'parked');
        const p = await save(parked, { accessTokenExpiresAt: new Date(now + HOUR), refreshTokenExpiresAt: new Date(now + 90 * DAY) });
        await storage.markNeedsReauth(parked, await lease(parked), {
          fingerprint: p.stored.refreshTokenFingerprint,
          errorCode: 'rotation_response_lost',
          pendingUntil: new Date(now + HOUR),
        });
        const revoked = ref('tenant-stats', 'revoked');
        await save(revoked);
        await storage.markRevoked(revoked);
        await storage.acquireLease(expired, 'crashed', 200);
        await sleep(350);

        const stats = await storage.stats(new Date(now), 5 * MINUTE);
        expect(stats.byStatus).toEqual({ active: 4, reauth_pending: 1, needs_reauth: 1, revoke_pending: 0, revoked: 1 });
        expect(stats.accessExpired).toBe(1);
        expect(stats.accessExpiringSoon).toBe(2); // expires before now + 5 min (the expired one included)
        expect(stats.soonestAccessExpiry?.getTime()).toBe(now - MINUTE);
        expect(stats.soonestRefreshExpiry?.getTime()).toBe(now + 10 * DAY);
        expect(stats.staleLeases).toBe(1);
      });

      it('is all zeros and nulls on an empty store', async () => {
        await expect(storage.stats(new Date(), MINUTE)).resolves.toEqual({
          byStatus: { active: 0, reauth_pending: 0, needs_reauth: 0, revoke_pending: 0, revoked: 0 },
          accessExpiringSoon: 0,
          accessExpired: 0,
          soonestAccessExpiry: null,
          soonestRefreshExpiry: null,
          staleLeases: 0,
        });
      });
    });
  });
}
