// Upgrade in place to refresh protocol v2: files written by the previous release (envelope version
// 1, a document without leaseGeneration / inflight / lastErrorFingerprint) are read, leased and
// refreshed by the new FileTokenStorage, and the new fields are validated strictly once present.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { CONNECTION_FILE_FIELD } from '@quickbooks-auth/nestjs/auth/storage/file/connection-file-codec';
import { FilePaths } from '@quickbooks-auth/nestjs/auth/storage/file/file-paths';
import { FileTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/file/file-token-storage';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, sealToken } from '@quickbooks-auth/nestjs/auth/storage/token-sealing';
import { StorageError, type TokenCipher } from '@quickbooks-auth/nestjs';
import { makeCipher } from '../support/storage-fixtures';

const MINUTE = 60_000;

interface PreviousReleaseConnection extends ConnectionRef {
  status: 'active' | 'needs_reauth' | 'revoked';
  accessToken: string;
  refreshToken: string;
  leaseOwner?: string | null;
  leaseExpiresAt?: Date | null;
  nextRefreshAt?: Date;
  lastErrorCode?: string | null;
}

/**
 * The bytes the previous release's encodeConnectionFile wrote: its StoredConnection fields in its
 * order (no protocol v2 fields), tokens sealed per field, the whole document encrypted with AAD
 * tenant + realm + 'connection_file', envelope version 1, one trailing newline.
 */
function previousReleaseDocument(c: PreviousReleaseConnection, cipher: TokenCipher): Record<string, unknown> {
  const now = Date.now();
  const ref = { tenantId: c.tenantId, realmId: c.realmId };
  return {
    tenantId: c.tenantId,
    realmId: c.realmId,
    environment: 'sandbox',
    status: c.status,
    refreshTokenFingerprint: c.refreshToken ? cipher.fingerprint(c.refreshToken) : '',
    accessTokenExpiresAt: new Date(now + 50 * MINUTE).toISOString(),
    refreshTokenExpiresAt: new Date(now + 100 * 24 * 60 * MINUTE).toISOString(),
    refreshTokenHardExpiresAt: null,
    scopes: ['com.intuit.quickbooks.accounting'],
    version: 7,
    leaseOwner: c.leaseOwner ?? null,
    leaseExpiresAt: c.leaseExpiresAt?.toISOString() ?? null,
    nextRefreshAt: (c.nextRefreshAt ?? new Date(now - MINUTE)).toISOString(),
    failureCount: 0,
    nextAttemptAt: null,
    lastErrorCode: c.lastErrorCode ?? null,
    lastRefreshedAt: new Date(now - 10 * MINUTE).toISOString(),
    createdAt: new Date(now - 24 * 60 * MINUTE).toISOString(),
    updatedAt: new Date(now - 10 * MINUTE).toISOString(),
    accessTokenEnc: c.accessToken ? sealToken(cipher, ref, ACCESS_TOKEN_FIELD, c.accessToken) : null,
    refreshTokenEnc: c.refreshToken ? sealToken(cipher, ref, REFRESH_TOKEN_FIELD, c.refreshToken) : null,
  };
}

function envelopeText(ref: ConnectionRef, doc: Record<string, unknown>, cipher: TokenCipher): string {
  const ciphertext = cipher.encrypt(JSON.stringify(doc), { ...ref, field: CONNECTION_FILE_FIELD });
  return `${JSON.stringify({ format: 'quickbooks-auth/connection-file', version: 1, ...ref, ciphertext })}\n`;
}

describe('FileTokenStorage: upgrade in place to protocol v2', () => {
  const { cipher } = makeCipher();
  let dir: string;
  let paths: FilePaths;
  let storage: FileTokenStorage;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qb-file-upgrade-'));
    paths = new FilePaths(join(dir, 'store'));
    storage = new FileTokenStorage({ directory: paths.root }, cipher);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeRaw(ref: ConnectionRef, doc: Record<string, unknown>): Promise<string> {
    const file = paths.connectionFile(ref);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, envelopeText(ref, doc, cipher), { mode: 0o600 });
    return file;
  }

  async function readDoc(ref: ConnectionRef): Promise<{ envelope: Record<string, unknown>; doc: Record<string, unknown> }> {
    const envelope = JSON.parse(await readFile(paths.connectionFile(ref), 'utf8'));
    return { envelope, doc: JSON.parse(cipher.decrypt(envelope.ciphertext, { ...ref, field: CONNECTION_FILE_FIELD })) };
  }

  it('reads a previous-release file as generation 0 with nothing in flight, then leases, begins a call and stores a rotated token', async () => {
    const ref = { tenantId: 'tenant-upgrade', realmId: '9130350000000001' };
    const old = { ...ref, status: 'active' as const, accessToken: 'AT-OLD-RELEASE', refreshToken: 'RT-OLD-RELEASE' };
    await writeRaw(ref, previousReleaseDocument(old, cipher));

    const got = (await storage.get(ref))!;
    expect(got).toMatchObject({ status: 'active', accessToken: old.accessToken, refreshToken: old.refreshToken, version: 7 });
    expect(got.leaseGeneration).toBe(0);
    expect(got.inflight).toBeNull();
    expect(got.lastErrorFingerprint).toBeNull();

    const leased = (await storage.acquireLease(ref, 'new-replica', 30_000))!;
    expect(leased).toMatchObject({ leaseOwner: 'new-replica', leaseGeneration: 1, inflight: null });
    const lease = { owner: 'new-replica', generation: leased.leaseGeneration };
    expect(await storage.beginCall(ref, lease, { fingerprint: leased.refreshTokenFingerprint, callBudgetMs: 10_000, ttlMs: 30_000 })).toBe(
      true,
    );
    const inflight = (await storage.get(ref))!.inflight;
    expect(inflight).toMatchObject({ fingerprint: leased.refreshTokenFingerprint, owner: 'new-replica', generation: 1 });
    expect(inflight!.deadlineAt.getTime() - inflight!.startedAt.getTime()).toBe(10_000);

    const swapped = await storage.compareAndSwapTokens(
      ref,
      leased.refreshTokenFingerprint,
      {
        accessToken: 'AT-NEW',
        refreshToken: 'RT-NEW',
        accessTokenExpiresAt: new Date(Date.now() + 60 * MINUTE),
        refreshTokenExpiresAt: new Date(Date.now() + 100 * 24 * 60 * MINUTE),
        refreshTokenHardExpiresAt: null,
        nextRefreshAt: new Date(Date.now() + 45 * MINUTE),
      },
      lease,
    );
    expect(swapped).toMatchObject({
      refreshToken: 'RT-NEW',
      status: 'active',
      leaseOwner: null,
      leaseGeneration: 1,
      inflight: null,
      lastErrorFingerprint: null,
    });
    expect((await storage.get(ref))!).toMatchObject({
      accessToken: 'AT-NEW',
      refreshToken: 'RT-NEW',
      refreshTokenFingerprint: cipher.fingerprint('RT-NEW'),
    });

    // The file was upgraded in place: same envelope version, the new fields now written out.
    const { envelope, doc } = await readDoc(ref);
    expect(envelope.version).toBe(1);
    expect(doc).toMatchObject({ leaseGeneration: 1, inflight: null, lastErrorFingerprint: null });
  });

  it('a lease left by a previous-release process is honoured while live and taken over (generation 1) once expired', async () => {
    const live = { tenantId: 'tenant-upgrade', realmId: 'live' };
    const stale = { tenantId: 'tenant-upgrade', realmId: 'stale' };
    const leaseOwner = 'old-replica';
    await writeRaw(
      live,
      previousReleaseDocument(
        { ...live, status: 'active', accessToken: 'AT-L', refreshToken: 'RT-L', leaseOwner, leaseExpiresAt: new Date(Date.now() + MINUTE) },
        cipher,
      ),
    );
    await writeRaw(
      stale,
      previousReleaseDocument(
        {
          ...stale,
          status: 'active',
          accessToken: 'AT-S',
          refreshToken: 'RT-S',
          leaseOwner,
          leaseExpiresAt: new Date(Date.now() - MINUTE),
        },
        cipher,
      ),
    );

    expect(await storage.acquireLease(live, 'new-replica', 30_000)).toBeNull();
    const claimed = await storage.claimDue(new Date(), 10, 'new-replica', 30_000);
    expect(claimed.map((c) => [c.realmId, c.leaseOwner, c.leaseGeneration])).toEqual([['stale', 'new-replica', 1]]);
    // The old process comes back without a generation of its own: generation 0 no longer holds.
    await storage.recordFailure(
      stale,
      { owner: leaseOwner, generation: 0 },
      { failureCount: 1, nextAttemptAt: null, lastErrorCode: 'http_503' },
    );
    expect((await storage.get(stale))!).toMatchObject({ leaseOwner: 'new-replica', failureCount: 0 });
  });

  it('a previous-release needs_reauth file stays parked, is counted, and a reconnect revives it at generation 1', async () => {
    const ref = { tenantId: 'tenant-upgrade', realmId: 'needs' };
    await writeRaw(
      ref,
      previousReleaseDocument(
        { ...ref, status: 'needs_reauth', accessToken: 'AT-N', refreshToken: 'RT-N', lastErrorCode: 'invalid_grant' },
        cipher,
      ),
    );
    expect((await storage.get(ref))!).toMatchObject({ status: 'needs_reauth', leaseGeneration: 0, lastErrorFingerprint: null });
    expect(await storage.acquireLease(ref, 'w', 30_000)).toBeNull();
    expect(await storage.claimDue(new Date(), 10, 'w', 30_000)).toEqual([]);
    expect((await storage.stats(new Date(), MINUTE)).byStatus).toEqual({
      active: 0,
      reauth_pending: 0,
      needs_reauth: 1,
      revoke_pending: 0,
      revoked: 0,
    });
    // No lastErrorFingerprint was recorded for the old token, so a rotated answer cannot revive it.
    const fp = cipher.fingerprint('RT-N');
    const result = {
      accessToken: 'AT-X',
      refreshToken: 'RT-X',
      accessTokenExpiresAt: new Date(),
      refreshTokenExpiresAt: new Date(),
      refreshTokenHardExpiresAt: null,
      nextRefreshAt: new Date(),
    };
    expect(await storage.compareAndSwapTokens(ref, fp, result, { owner: 'w', generation: 0 })).toBeNull();

    const now = Date.now();
    const saved = await storage.saveConnection({
      ...ref,
      environment: 'sandbox',
      scopes: ['com.intuit.quickbooks.accounting'],
      accessToken: 'AT-R',
      refreshToken: 'RT-R',
      accessTokenExpiresAt: new Date(now + 60 * MINUTE),
      refreshTokenExpiresAt: new Date(now + 100 * 24 * 60 * MINUTE),
      refreshTokenHardExpiresAt: null,
      nextRefreshAt: new Date(now + 45 * MINUTE),
    });
    expect(saved).toMatchObject({ status: 'active', leaseGeneration: 1, inflight: null, lastErrorFingerprint: null, version: 8 });
  });

  it('a previous-release revoked file reads with empty tokens and markRevoked bumps it to generation 1', async () => {
    const ref = { tenantId: 'tenant-upgrade', realmId: 'revoked' };
    await writeRaw(ref, previousReleaseDocument({ ...ref, status: 'revoked', accessToken: '', refreshToken: '' }, cipher));
    expect((await storage.get(ref))!).toMatchObject({
      status: 'revoked',
      accessToken: '',
      refreshToken: '',
      leaseGeneration: 0,
      inflight: null,
    });
    expect(await storage.markRevoked(ref)).toBe(true);
    expect((await storage.get(ref))!).toMatchObject({ status: 'revoked', leaseGeneration: 1, inflight: null });
  });

  it('round-trips every new field, reauth_pending included', async () => {
    const ref = { tenantId: 'tenant-upgrade', realmId: 'pending' };
    await writeRaw(ref, previousReleaseDocument({ ...ref, status: 'active', accessToken: 'AT-P', refreshToken: 'RT-P' }, cipher));
    const leased = (await storage.acquireLease(ref, 'w', 30_000))!;
    const lease = { owner: 'w', generation: leased.leaseGeneration };
    expect(await storage.beginCall(ref, lease, { fingerprint: leased.refreshTokenFingerprint, callBudgetMs: 5_000, ttlMs: 30_000 })).toBe(
      true,
    );
    const begun = (await storage.get(ref))!;
    const reopened = new FileTokenStorage({ directory: paths.root }, cipher);
    expect(await reopened.get(ref)).toEqual(begun);

    const pendingUntil = new Date(Date.now() + 5 * MINUTE);
    expect(
      await storage.markNeedsReauth(ref, lease, { fingerprint: leased.refreshTokenFingerprint, errorCode: 'invalid_grant', pendingUntil }),
    ).toBe(true);
    const parked = (await reopened.get(ref))!;
    expect(parked).toMatchObject({
      status: 'reauth_pending',
      lastErrorFingerprint: leased.refreshTokenFingerprint,
      inflight: null,
      leaseOwner: null,
      leaseGeneration: 1,
    });
    expect(parked.nextRefreshAt.getTime()).toBe(pendingUntil.getTime());
    expect((await storage.stats(new Date(), MINUTE)).byStatus).toEqual({
      active: 0,
      reauth_pending: 1,
      needs_reauth: 0,
      revoke_pending: 0,
      revoked: 0,
    });
  });

  describe('strict validation of the new fields (a bad value is storage_corrupt naming the file, never its content)', () => {
    const MARKER = 'MARKER-VALUE-NEVER-IN-MESSAGES';
    const ref = { tenantId: 'tenant-bad', realmId: 'r1' };
    const good = { tenantId: 'tenant-good', realmId: 'r1' };
    const inflight = {
      fingerprint: MARKER,
      owner: MARKER,
      generation: 1,
      startedAt: new Date().toISOString(),
      deadlineAt: new Date(Date.now() + MINUTE).toISOString(),
    };

    it.each<[string, Record<string, unknown>]>([
      ['leaseGeneration negative', { leaseGeneration: -1 }],
      ['leaseGeneration fractional', { leaseGeneration: 1.5 }],
      ['leaseGeneration a string', { leaseGeneration: MARKER }],
      ['leaseGeneration null', { leaseGeneration: null }],
      ['leaseGeneration unsafe', { leaseGeneration: 2 ** 53 }],
      ['inflight not an object', { inflight: MARKER }],
      ['inflight an array', { inflight: [MARKER] }],
      ['inflight without a fingerprint', { inflight: { ...inflight, fingerprint: undefined } }],
      ['inflight owner not a string', { inflight: { ...inflight, owner: 42 } }],
      ['inflight generation a string', { inflight: { ...inflight, generation: '1' } }],
      ['inflight generation negative', { inflight: { ...inflight, generation: -3 } }],
      ['inflight startedAt not ISO', { inflight: { ...inflight, startedAt: MARKER } }],
      ['inflight deadlineAt a number', { inflight: { ...inflight, deadlineAt: Date.now() } }],
      ['inflight deadlineAt not canonical ISO', { inflight: { ...inflight, deadlineAt: 'Tue, 01 Jan 2030 00:00:00 GMT' } }],
      ['lastErrorFingerprint a number', { lastErrorFingerprint: 12 }],
      ['lastErrorFingerprint an object', { lastErrorFingerprint: { v: MARKER } }],
      ['status unknown', { status: MARKER }],
    ])('%s', async (_label, patch) => {
      const file = await writeRaw(ref, {
        ...previousReleaseDocument({ ...ref, status: 'active', accessToken: 'AT-B', refreshToken: 'RT-B' }, cipher),
        leaseGeneration: 3,
        inflight: null,
        lastErrorFingerprint: null,
        ...patch,
      });
      await writeRaw(good, previousReleaseDocument({ ...good, status: 'active', accessToken: 'AT-G', refreshToken: 'RT-G' }, cipher));
      const err = await storage.get(ref).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('storage_corrupt');
      const text = `${(err as Error).message} ${(err as Error).stack}`;
      expect((err as Error).message).toContain(paths.display(file));
      for (const secret of [MARKER, 'AT-B', 'RT-B']) expect(text).not.toContain(secret);
      // Writes refuse it too, and it never blocks the other connections (I8).
      await expect(storage.acquireLease(ref, 'w', 30_000)).rejects.toMatchObject({ code: 'storage_corrupt' });
      expect((await storage.claimDue(new Date(), 10, 'w', 30_000)).map((c) => c.tenantId)).toEqual(['tenant-good']);
    });

    it('accepts every valid shape: generation 0, a full in-flight record, a string lastErrorFingerprint', async () => {
      await writeRaw(ref, {
        ...previousReleaseDocument({ ...ref, status: 'needs_reauth', accessToken: 'AT-B', refreshToken: 'RT-B' }, cipher),
        leaseGeneration: 0,
        inflight,
        lastErrorFingerprint: 'fp',
      });
      const got = (await storage.get(ref))!;
      expect(got).toMatchObject({ leaseGeneration: 0, lastErrorFingerprint: 'fp' });
      expect(got.inflight).toEqual({ ...inflight, startedAt: new Date(inflight.startedAt), deadlineAt: new Date(inflight.deadlineAt) });
    });
  });
});
