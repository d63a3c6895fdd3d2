import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  CONNECTION_STATUSES,
  type ConnectionDetails,
  type ConnectionForAccess,
  type ConnectionRecord,
  type ConnectionRef,
  type ConnectionStatus,
  type IntuitEnvironment,
  type Lease,
  type StoredConnection,
  type UndecryptableConnection,
} from '../../../domain/connection.interface';
import { withoutRefreshToken } from '../connection-for-access';
import { DecryptionError } from '../../../errors/decryption.error';
import { QuickBooksAuthError } from '../../../errors/quickbooks-auth.error';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import { connectionUseChanges } from '../connection-use';
import {
  assertValidConnectionRef,
  assertValidLimit,
  assertValidTenantId,
  assertValidTtl,
  assertValidRevokeFence,
} from '../connection-ref.validation';
import type {
  BeginCall,
  ConnectionUse,
  NewConnection,
  PendingRevocation,
  ReauthMark,
  ReconnectDuePage,
  RefreshFailure,
  RefreshResult,
  RevokeFence,
  RevokeRetry,
  StorageStats,
  TokenStorage,
} from '../token-storage.interface';
import {
  RECONNECT_LISTED_STATUSES,
  assertValidHorizonDays,
  compareReconnectOrder,
  decodeReconnectCursor,
  encodeReconnectCursor,
} from '../reconnect-cursor';
import { openOrNull } from '../pending-revocation';
import { REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { detailsOf, isUndecryptable, recordOf } from '../undecryptable-record';
import { fsyncDirectory, writeFileAtomic } from './atomic-write';
import {
  ciphertextsOf,
  decodeConnectionFile,
  decodeRevocation,
  encodeConnectionFile,
  parseEnvelope,
  type ConnectionEnvelope,
} from './connection-file-codec';
import type { FileRevocation, RevocationSlot } from './file-revocation';
import { FileLock } from './file-lock';
import { transitionRecordOf, withTransition } from './file-transition-record';
import { callBegun } from '../transitions/begin-call';
import { failureRecorded } from '../transitions/refresh-failure';
import { reauthMarked } from '../transitions/reauth-mark';
import { tokensSwapped } from '../transitions/tokens-swapped';
import { dueForClaim, leaseAcquired, leaseClaimed, leaseReleased, leaseRenewed } from '../transitions/lease-transitions';
import { CONNECTION_SUFFIX, FilePaths } from './file-paths';

export interface FileTokenStorageOptions {
  /** Created (mode 0700) when missing. Must be on a local disk of the single host that runs the app. */
  directory: string;
  /** A write lock older than this is taken over (default 30 s; writes take milliseconds). */
  lockTtlMs?: number;
  /** Give up waiting for a write lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /**
   * The module's environment (default sandbox). Only used to fill in a file that is revoked while
   * nothing in it can be decrypted (the whole document is sealed, so its own value is unknown).
   */
  environment?: IntuitEnvironment;
}

/**
 * Encrypted files for single-host deployments: one file per connection, the whole JSON document
 * AES-256-GCM encrypted (AAD tenant + realm + 'connection_file'), replaced atomically and durably,
 * mode 0600 in 0700 directories. Writers on one host exclude each other with a lockfile; readers
 * never need it (rename is atomic). Leases and in-flight records live in the file and use the
 * local clock, which is the only clock there is on one host. Every conditional write (lease, begin
 * call, compare-and-swap...) is checked and written under the connection's lock, so it is one
 * atomic step like the single statements of the SQL and Redis backends. Not for NFS or several
 * hosts: see docs/storage-backends.md.
 */
export class FileTokenStorage implements TokenStorage {
  readonly kind = 'file';
  private readonly paths: FilePaths;
  private readonly lock: FileLock;
  private readonly environment: IntuitEnvironment;

  constructor(
    options: FileTokenStorageOptions,
    private readonly cipher: TokenCipher,
  ) {
    this.paths = new FilePaths(resolve(options.directory));
    this.environment = options.environment ?? 'sandbox';
    this.lock = new FileLock({ ttlMs: options.lockTtlMs ?? 30_000, timeoutMs: options.lockTimeoutMs ?? 10_000 }, (p) =>
      this.paths.display(p),
    );
  }

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    return this.read(this.paths.connectionFile(ref), ref);
  }

  async getForAccess(ref: ConnectionRef): Promise<ConnectionForAccess | null> {
    assertValidConnectionRef(ref);
    const conn = await this.read(this.paths.connectionFile(ref), ref, 'access');
    return conn && withoutRefreshToken(conn);
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    const out: StoredConnection[] = [];
    for (const { envelope, display } of await this.tenantEnvelopes(tenantId))
      out.push(decodeConnectionFile(envelope, display, this.cipher));
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.realmId < b.realmId ? -1 : 1));
  }

  async getRecord(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    assertValidConnectionRef(ref);
    return this.readRecord(this.paths.connectionFile(ref), ref);
  }

  /** Oldest first, like listByTenant; files with nothing readable (no creation time) come last. */
  async listRecordsByTenant(tenantId: string): Promise<ConnectionRecord[]> {
    const records = (await this.tenantEnvelopes(tenantId)).map(({ envelope, display }) => this.decodeRecord(envelope, display));
    const created = (r: ConnectionRecord) =>
      isUndecryptable(r) ? (r.details?.createdAt.getTime() ?? Number.MAX_SAFE_INTEGER) : r.createdAt.getTime();
    return records.sort((a, b) => created(a) - created(b) || (a.realmId < b.realmId ? -1 : 1));
  }

  async saveConnection(conn: NewConnection): Promise<StoredConnection> {
    assertValidConnectionRef(conn);
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    // A file whose tokens cannot be decrypted is overwritten: reconnecting is how it is repaired.
    return (await this.mutateRecord(ref, (current, now, revocation) => {
      const next = this.connected(conn, current && isUndecryptable(current) ? current.details : current, now);
      // The grant this reconnect replaces is revoked at Intuit once the new one is stored.
      if (
        current &&
        !isUndecryptable(current) &&
        current.refreshToken &&
        current.refreshTokenFingerprint &&
        current.refreshTokenFingerprint !== next.refreshTokenFingerprint
      ) {
        revocation.value = {
          tokenEnc: this.seal(ref, current.refreshToken),
          fingerprint: current.refreshTokenFingerprint,
          dueAt: new Date(conn.revokeReplacedAt?.getTime() ?? 0),
          attempts: 0,
        };
      }
      return next;
    }))!;
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    return this.mutate(ref, (c, now) => c && withTransition(c, leaseAcquired(transitionRecordOf(c), owner, ttl, now.getTime())));
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    const renewed = await this.mutate(
      ref,
      (c, now) => c && withTransition(c, leaseRenewed(transitionRecordOf(c), lease, ttl, now.getTime())),
    );
    return renewed !== null;
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    await this.mutate(ref, (c, now) => c && withTransition(c, leaseReleased(transitionRecordOf(c), lease, now.getTime())));
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    const begun = await this.mutate(
      ref,
      (c, now) =>
        c && withTransition(c, callBegun(transitionRecordOf(c), lease, { fingerprint: call.fingerprint, budget, ttl }, now.getTime())),
    );
    return begun !== null;
  }

  async compareAndSwapTokens(
    ref: ConnectionRef,
    expectedFingerprint: string,
    result: RefreshResult,
    lease: Lease,
  ): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const newFingerprint = this.cipher.fingerprint(result.refreshToken);
    return this.mutate(ref, (c, now) => {
      const swapped =
        c && withTransition(c, tokensSwapped(transitionRecordOf(c), expectedFingerprint, newFingerprint, result, lease, now.getTime()));
      return swapped && { ...swapped, accessToken: result.accessToken, refreshToken: result.refreshToken };
    });
  }

  async recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    await this.mutate(ref, (c, now) => c && withTransition(c, failureRecorded(transitionRecordOf(c), lease, failure, now.getTime())));
  }

  async markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean> {
    assertValidConnectionRef(ref);
    const changed = await this.mutate(
      ref,
      (c, now) => c && withTransition(c, reauthMarked(transitionRecordOf(c), lease, mark, now.getTime())),
    );
    return changed !== null;
  }

  async markRevoked(ref: ConnectionRef, fence?: RevokeFence): Promise<boolean> {
    assertValidConnectionRef(ref);
    assertValidRevokeFence(fence);
    let changed = false;
    await this.mutateRecord(ref, (current, now) => {
      if (!current) return null;
      // Fenced: only the grant Intuit refused, checked under the file's lock (a reconnect stored since is kept).
      const fields = isUndecryptable(current) ? current.details : current;
      if (fence && (fields?.status !== 'needs_reauth' || fields.refreshTokenFingerprint !== fence.refusedFingerprint)) return null;
      changed = true;
      // Undecryptable: its readable fields, or (whole document sealed) a fresh revoked record.
      const c = isUndecryptable(current)
        ? { ...ref, ...(current.details ?? this.unknownDetails(now)), accessToken: '', refreshToken: '' }
        : current;
      return bump(
        {
          ...c,
          status: 'revoked',
          accessToken: '',
          refreshToken: '',
          refreshTokenFingerprint: '',
          inflight: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          leaseGeneration: c.leaseGeneration + 1,
        },
        now,
      );
    });
    return changed;
  }

  async markRevokePending(ref: ConnectionRef, retry: RevokeRetry): Promise<boolean> {
    assertValidConnectionRef(ref);
    const changed = await this.mutate(ref, (c, now, revocation) => {
      if (!c || c.status === 'revoked') return null;
      if (c.refreshToken && c.refreshTokenFingerprint) {
        revocation.value = {
          tokenEnc: this.seal(ref, c.refreshToken),
          fingerprint: c.refreshTokenFingerprint,
          dueAt: retry.retryAt,
          attempts: 1,
        };
      } else if (revocation.value) {
        revocation.value = { ...revocation.value, dueAt: retry.retryAt };
      }
      return bump(
        {
          ...c,
          status: 'revoke_pending',
          accessToken: '',
          refreshToken: '',
          refreshTokenFingerprint: '',
          lastErrorCode: retry.errorCode,
          inflight: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          leaseGeneration: c.leaseGeneration + 1,
        },
        now,
      );
    });
    return changed !== null;
  }

  /** Scans every file (one host, thousands of connections), then claims each under its lock. */
  async claimRevocations(now: Date, limit: number, holdMs: number, only?: ConnectionRef): Promise<PendingRevocation[]> {
    const max = assertValidLimit(limit);
    const hold = assertValidTtl(holdMs);
    if (only) assertValidConnectionRef(only);
    const t = now.getTime();
    const isDue = (r: FileRevocation | null): r is FileRevocation => r !== null && (only !== undefined || r.dueAt.getTime() <= t);
    const candidates = only ? [{ ref: only, dueAt: 0 }] : await this.dueRevocations(t);
    const claimed: PendingRevocation[] = [];
    for (const candidate of candidates.sort((a, b) => a.dueAt - b.dueAt)) {
      if (claimed.length >= max) break;
      let taken: PendingRevocation | null = null;
      // Re-checked under the lock: another process may have claimed it since the scan.
      await this.mutate(candidate.ref, (c, at, revocation) => {
        if (!c || !isDue(revocation.value)) return null;
        const r = revocation.value;
        revocation.value = { ...r, dueAt: new Date(t + hold) };
        taken = {
          ...candidate.ref,
          refreshToken: openOrNull(() => openToken(this.cipher, candidate.ref, REFRESH_TOKEN_FIELD, r.tokenEnc)),
          fingerprint: r.fingerprint,
          attempts: r.attempts,
          disconnecting: c.status === 'revoke_pending',
        };
        return bump(c, at);
      }).catch((err) => {
        if (err instanceof QuickBooksAuthError && !(err instanceof StorageError && err.code === 'storage_unavailable')) return null;
        throw err;
      });
      if (taken) claimed.push(taken);
    }
    return claimed;
  }

  async settleRevocation(ref: ConnectionRef, fingerprint: string, retryAt: Date | null): Promise<boolean> {
    assertValidConnectionRef(ref);
    const settled = await this.mutate(ref, (c, now, revocation) => {
      const r = revocation.value;
      if (!c || !r || r.fingerprint !== fingerprint) return null;
      revocation.value = retryAt ? { ...r, dueAt: retryAt, attempts: r.attempts + 1 } : null;
      return bump(retryAt || c.status !== 'revoke_pending' ? c : { ...c, status: 'revoked' }, now);
    });
    return settled !== null;
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const file = this.paths.connectionFile(ref);
    return this.guard('delete', () =>
      this.lock.withLock(this.paths.lockFile(file), async () => {
        try {
          await unlink(file);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
          throw err;
        }
        await fsyncDirectory(this.paths.tenantDir(ref.tenantId));
        return true;
      }),
    );
  }

  /** Scans every file (fine on one host with thousands of connections, not millions), then claims each under its lock. */
  async claimDue(
    now: Date,
    limit: number,
    owner: string,
    ttlMs: number,
    onUndecryptable?: (row: UndecryptableConnection) => void,
  ): Promise<StoredConnection[]> {
    const max = assertValidLimit(limit);
    const ttl = assertValidTtl(ttlMs);
    const due = now.getTime();
    const records = await this.scanRecords();
    // Files that cannot be decrypted cannot be leased here (a lease is written inside the
    // encrypted document): reported on every scan instead, never blocking the others (I8).
    for (const r of records) if (isUndecryptable(r)) onUndecryptable?.(r);
    const candidates = records
      .filter((c): c is StoredConnection => !isUndecryptable(c))
      .filter((c) => dueForClaim(transitionRecordOf(c), due, Date.now()))
      .sort((a, b) => a.nextRefreshAt.getTime() - b.nextRefreshAt.getTime());
    const claimed: StoredConnection[] = [];
    for (const candidate of candidates) {
      if (claimed.length >= max) break;
      // Re-check under the lock: another process may have claimed it since the scan.
      const leased = await this.mutate(
        candidate,
        (c, leaseNow) => c && withTransition(c, leaseClaimed(transitionRecordOf(c), owner, ttl, due, leaseNow.getTime())),
      ).catch((err) => {
        if (err instanceof QuickBooksAuthError && !(err instanceof StorageError && err.code === 'storage_unavailable')) return null;
        throw err;
      });
      if (leased) claimed.push(leased);
    }
    return claimed;
  }

  async recordUse(ref: ConnectionRef, use: ConnectionUse): Promise<void> {
    assertValidConnectionRef(ref);
    // Bookkeeping only: no version bump; a file that cannot be decrypted is left as it is.
    await this.mutateRecord(ref, (c) => {
      if (!c || isUndecryptable(c)) return null;
      const changes = connectionUseChanges(
        {
          status: c.status,
          accessTokenExpiresAt: c.accessTokenExpiresAt.getTime(),
          nextRefreshAt: c.nextRefreshAt.getTime(),
          lastUsedAt: c.lastUsedAt?.getTime() ?? null,
        },
        use,
      );
      if (!changes) return null;
      return {
        ...c,
        ...(changes.lastUsedAt !== undefined ? { lastUsedAt: new Date(changes.lastUsedAt as number) } : {}),
        ...(changes.nextRefreshAt !== undefined ? { nextRefreshAt: new Date(changes.nextRefreshAt) } : {}),
      };
    });
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const byStatus = Object.fromEntries(CONNECTION_STATUSES.map((st) => [st, 0])) as Record<ConnectionStatus, number>;
    const t = now.getTime();
    const leaseNow = Date.now();
    const stats: StorageStats = {
      byStatus,
      accessExpiringSoon: 0,
      accessExpired: 0,
      soonestAccessExpiry: null,
      soonestRefreshExpiry: null,
      staleLeases: 0,
    };
    for (const c of await this.scanReadable()) {
      byStatus[c.status]++;
      if (c.leaseOwner !== null && (c.leaseExpiresAt?.getTime() ?? 0) < leaseNow) stats.staleLeases++;
      if (c.status !== 'active') continue;
      const access = c.accessTokenExpiresAt.getTime();
      if (!stats.soonestRefreshExpiry || c.refreshTokenExpiresAt < stats.soonestRefreshExpiry)
        stats.soonestRefreshExpiry = c.refreshTokenExpiresAt;
      if (c.nextRefreshAt.getTime() > access) continue; // kept alive only: expired by design (StorageStats)
      if (access < t + withinMs) stats.accessExpiringSoon++;
      if (access < t) stats.accessExpired++;
      if (!stats.soonestAccessExpiry || access < stats.soonestAccessExpiry.getTime()) stats.soonestAccessExpiry = c.accessTokenExpiresAt;
    }
    return stats;
  }

  async ping(): Promise<void> {
    await this.guard('ping', () => this.ensureDir(this.paths.tenantsDir));
  }

  /** Cursor = JSON [tenantId, realmId] of the last ref returned; order is by tenant, then realm. */
  async listRefs(afterCursor: string | null, limit: number): Promise<{ refs: ConnectionRef[]; nextCursor: string | null }> {
    const max = assertValidLimit(limit);
    let after: [string, string] | null = null;
    if (afterCursor !== null) {
      try {
        after = JSON.parse(afterCursor);
      } catch {
        throw new StorageError('listRefs cursor is not valid', 'invalid_cursor');
      }
    }
    const refs: ConnectionRef[] = [];
    for (const file of await this.allConnectionFiles()) {
      const text = await this.readText(file);
      if (text === null) continue;
      try {
        const { tenantId, realmId } = parseEnvelope(text, this.paths.display(file));
        refs.push({ tenantId, realmId });
      } catch {
        // A corrupt file is reported by get(); maintenance goes on for the others (I8).
      }
    }
    const cmp = (a: ConnectionRef, b: [string, string]) =>
      a.tenantId < b[0] ? -1 : a.tenantId > b[0] ? 1 : a.realmId < b[1] ? -1 : a.realmId > b[1] ? 1 : 0;
    const page = refs
      .sort((a, b) => cmp(a, [b.tenantId, b.realmId]))
      .filter((r) => after === null || cmp(r, after) > 0)
      .slice(0, max);
    const last = page[page.length - 1];
    return { refs: page, nextCursor: page.length === max ? JSON.stringify([last.tenantId, last.realmId]) : null };
  }

  /**
   * Re-encrypts the file under the newest key (document and sealed tokens; compared under the
   * lock). True when tokens were re-encrypted; a revoked file (no tokens) is still rewritten so
   * the old key can be retired, but reports false, like the other backends.
   */
  async reencrypt(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    const file = this.paths.connectionFile(ref);
    return this.guard('reencrypt', () =>
      this.lock.withLock(this.paths.lockFile(file), async () => {
        const text = await this.readText(file);
        if (text === null) return false;
        const display = this.paths.display(file);
        const envelope = parseEnvelope(text, display, ref);
        const [outer, ...tokens] = ciphertextsOf(envelope, display, this.cipher);
        const staleTokens = tokens.some((c) => this.cipher.needsReencryption(c));
        if (!staleTokens && !this.cipher.needsReencryption(outer)) return false;
        const conn = decodeConnectionFile(envelope, display, this.cipher);
        // The pending revocation is re-sealed too; fingerprints are kept: writes fence on them.
        const pending = decodeRevocation(envelope, display, this.cipher);
        const revocation = pending && {
          ...pending,
          tokenEnc: this.seal(ref, openToken(this.cipher, ref, REFRESH_TOKEN_FIELD, pending.tokenEnc)),
        };
        await writeFileAtomic(file, encodeConnectionFile(bump(conn, new Date()), this.cipher, revocation));
        return staleTokens;
      }),
    );
  }

  async close(): Promise<void> {}

  async claimReconnectWarning(ref: ConnectionRef, horizonDays: number, now: Date): Promise<boolean> {
    assertValidConnectionRef(ref);
    const days = assertValidHorizonDays(horizonDays);
    let claimed = false;
    await this.mutate(ref, (current) => {
      if (!current || !RECONNECT_LISTED.has(current.status) || !current.refreshTokenHardExpiresAt) return null;
      if (current.refreshTokenHardExpiresAt.getTime() > now.getTime() + days * DAY_MS) return null;
      if (current.reconnectWarnedDays != null && current.reconnectWarnedDays <= days) return null;
      claimed = true;
      // Not bump(): a warning is no token state, and leaves version and updatedAt as they are.
      return { ...current, reconnectWarnedDays: days };
    });
    return claimed;
  }

  /** Reads only the envelopes' clear ids (no decryption); scans the tenant directories. */
  async listRefsByRealm(realmId: string, limit: number): Promise<ConnectionRef[]> {
    assertValidConnectionRef({ tenantId: 'any', realmId });
    const max = assertValidLimit(limit);
    const refs: ConnectionRef[] = [];
    for (const file of await this.allConnectionFiles()) {
      const text = await this.readText(file);
      if (text === null) continue;
      try {
        const envelope = parseEnvelope(text, this.paths.display(file));
        if (envelope.realmId === realmId) refs.push({ tenantId: envelope.tenantId, realmId });
      } catch {
        // A corrupt file is reported by get(); the others are still found (I8).
      }
    }
    return refs.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0)).slice(0, max);
  }

  /** Scans every file (this backend is for one process and modest fleets). */
  async listReconnectDue(before: Date, afterCursor: string | null, limit: number): Promise<ReconnectDuePage> {
    const max = assertValidLimit(limit);
    const after = decodeReconnectCursor(afterCursor);
    const rows: Array<ConnectionRef & ConnectionDetails> = [];
    for (const record of await this.scanRecords()) {
      // A file sealed whole that cannot be decrypted has no readable deadline: it is not listed.
      const details = isUndecryptable(record) ? record.details : detailsOf(record);
      if (details) rows.push({ tenantId: record.tenantId, realmId: record.realmId, ...details });
    }
    const keyOf = (c: ConnectionRef & ConnectionDetails) => ({
      hardExpiresAt: c.refreshTokenHardExpiresAt!.getTime(),
      tenantId: c.tenantId,
      realmId: c.realmId,
    });
    const connections = rows
      .filter(
        (c) =>
          RECONNECT_LISTED.has(c.status) &&
          c.refreshTokenHardExpiresAt !== null &&
          c.refreshTokenHardExpiresAt.getTime() <= before.getTime(),
      )
      .filter((c) => after === null || compareReconnectOrder(keyOf(c), after) > 0)
      .sort((a, b) => compareReconnectOrder(keyOf(a), keyOf(b)))
      .slice(0, max);
    return {
      connections,
      nextCursor: connections.length === max ? encodeReconnectCursor(keyOf(connections[connections.length - 1])) : null,
    };
  }

  /**
   * Read-modify-write under the connection's lock. `fn` returns the new document, or null for no
   * write. Every write but connect and revoke reads the tokens (or fences on them), so a file that
   * cannot be decrypted fails it with DecryptionError, as a read does.
   */
  private mutate(
    ref: ConnectionRef,
    fn: (current: StoredConnection | null, now: Date, revocation: RevocationSlot) => StoredConnection | null,
  ): Promise<StoredConnection | null> {
    return this.mutateRecord(ref, (current, now, revocation) => {
      if (current && isUndecryptable(current)) throw new DecryptionError(current.reason);
      return fn(current, now, revocation);
    });
  }

  /**
   * mutate, handing `fn` a file that cannot be decrypted as an UndecryptableConnection. The file's
   * pending revocation is written back as `revocation.value`: kept unless `fn` replaces it.
   */
  private async mutateRecord(
    ref: ConnectionRef,
    fn: (current: ConnectionRecord | null, now: Date, revocation: RevocationSlot) => StoredConnection | null,
  ): Promise<StoredConnection | null> {
    const file = this.paths.connectionFile(ref);
    return this.guard('write', async () => {
      await this.ensureDir(this.paths.tenantDir(ref.tenantId));
      return this.lock.withLock(this.paths.lockFile(file), async () => {
        const text = await this.readText(file);
        const display = this.paths.display(file);
        const envelope = text === null ? null : parseEnvelope(text, display, ref);
        const current = envelope ? this.decodeRecord(envelope, display) : null;
        // A document that cannot be decrypted has no readable revocation: an overwrite drops it.
        const revocation: RevocationSlot = {
          value: envelope && current && !isUndecryptable(current) ? decodeRevocation(envelope, display, this.cipher) : null,
        };
        const next = fn(current, new Date(), revocation);
        if (next) await writeFileAtomic(file, encodeConnectionFile(next, this.cipher, revocation.value));
        return next;
      });
    });
  }

  /** Refs of files whose pending revocation is due at `t` (files that cannot be read are skipped, I8). */
  private async dueRevocations(t: number): Promise<Array<{ ref: ConnectionRef; dueAt: number }>> {
    const out: Array<{ ref: ConnectionRef; dueAt: number }> = [];
    for (const file of await this.allConnectionFiles()) {
      try {
        const text = await this.readText(file);
        if (text === null) continue;
        const envelope = parseEnvelope(text, this.paths.display(file));
        const r = decodeRevocation(envelope, this.paths.display(file), this.cipher);
        if (r && r.dueAt.getTime() <= t)
          out.push({ ref: { tenantId: envelope.tenantId, realmId: envelope.realmId }, dueAt: r.dueAt.getTime() });
      } catch (err) {
        if (!(err instanceof QuickBooksAuthError)) throw err;
      }
    }
    return out;
  }

  private seal(ref: ConnectionRef, refreshToken: string): string {
    return sealToken(this.cipher, ref, REFRESH_TOKEN_FIELD, refreshToken);
  }

  private async read(file: string, ref: ConnectionRef, withTokens: boolean | 'access' = true): Promise<StoredConnection | null> {
    const text = await this.readText(file);
    if (text === null) return null;
    return decodeConnectionFile(parseEnvelope(text, this.paths.display(file), ref), this.paths.display(file), this.cipher, withTokens);
  }

  private async readRecord(file: string, ref: ConnectionRef): Promise<ConnectionRecord | null> {
    const text = await this.readText(file);
    if (text === null) return null;
    return this.decodeRecord(parseEnvelope(text, this.paths.display(file), ref), this.paths.display(file));
  }

  private decodeRecord(envelope: ConnectionEnvelope, display: string): ConnectionRecord {
    return recordOf(envelope, (withTokens) => decodeConnectionFile(envelope, display, this.cipher, withTokens));
  }

  /** The envelopes of a tenant's files; one naming another tenant is foreign (I7). */
  private async tenantEnvelopes(tenantId: string): Promise<Array<{ envelope: ConnectionEnvelope; display: string }>> {
    assertValidTenantId(tenantId);
    const out: Array<{ envelope: ConnectionEnvelope; display: string }> = [];
    for (const file of await this.connectionFiles(this.paths.tenantDir(tenantId))) {
      const text = await this.readText(file);
      if (text === null) continue;
      const display = this.paths.display(file);
      const envelope = parseEnvelope(text, display);
      if (envelope.tenantId !== tenantId)
        throw new StorageError(`Connection file ${display} belongs to another tenant`, 'storage_foreign_file');
      out.push({ envelope, display });
    }
    return out;
  }

  /** The document a connect or reconnect writes, keeping what the old one had that outlives it. */
  private connected(conn: NewConnection, existing: ConnectionDetails | null, now: Date): StoredConnection {
    return {
      tenantId: conn.tenantId,
      realmId: conn.realmId,
      environment: conn.environment,
      status: 'active',
      accessToken: conn.accessToken,
      refreshToken: conn.refreshToken,
      refreshTokenFingerprint: this.cipher.fingerprint(conn.refreshToken),
      accessTokenExpiresAt: conn.accessTokenExpiresAt,
      refreshTokenExpiresAt: conn.refreshTokenExpiresAt,
      refreshTokenHardExpiresAt: conn.refreshTokenHardExpiresAt,
      scopes: [...conn.scopes],
      version: (existing?.version ?? 0) + 1,
      leaseOwner: null,
      leaseExpiresAt: null,
      // A reconnect fences every holder of the old tokens (I9).
      leaseGeneration: (existing?.leaseGeneration ?? 0) + 1,
      inflight: null,
      lastErrorFingerprint: null,
      nextRefreshAt: conn.nextRefreshAt,
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastRefreshedAt: existing?.lastRefreshedAt ?? null,
      lastUsedAt: conn.lastUsedAt !== undefined ? conn.lastUsedAt : (existing?.lastUsedAt ?? null),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      // A new grant has a new hard deadline: its warnings start over.
      reconnectWarnedDays: null,
    };
  }

  /** What a revoked file holds when nothing of the old one could be read. */
  private unknownDetails(now: Date): ConnectionDetails {
    return {
      environment: this.environment,
      status: 'revoked',
      refreshTokenFingerprint: '',
      accessTokenExpiresAt: now,
      refreshTokenExpiresAt: now,
      refreshTokenHardExpiresAt: null,
      scopes: [],
      version: 0,
      leaseOwner: null,
      leaseExpiresAt: null,
      leaseGeneration: 0,
      inflight: null,
      lastErrorFingerprint: null,
      nextRefreshAt: now,
      failureCount: 0,
      nextAttemptAt: null,
      lastErrorCode: null,
      lastRefreshedAt: null,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    };
  }

  private async readText(file: string): Promise<string | null> {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.ioError('read', err);
    }
  }

  /** Every readable connection; unreadable files are skipped so one bad file never blocks the rest (I8). */
  private async scanReadable(): Promise<StoredConnection[]> {
    return (await this.scanRecords()).filter((r): r is StoredConnection => !isUndecryptable(r));
  }

  /** Every connection, undecryptable ones as such; corrupt or foreign files are skipped (I8). */
  private async scanRecords(): Promise<ConnectionRecord[]> {
    const out: ConnectionRecord[] = [];
    for (const file of await this.allConnectionFiles()) {
      try {
        const text = await this.readText(file);
        if (text !== null) out.push(this.decodeRecord(parseEnvelope(text, this.paths.display(file)), this.paths.display(file)));
      } catch (err) {
        if (!(err instanceof QuickBooksAuthError)) throw err;
      }
    }
    return out;
  }

  private async allConnectionFiles(): Promise<string[]> {
    const tenants = await this.list(this.paths.tenantsDir);
    const files: string[] = [];
    for (const tenant of tenants) files.push(...(await this.connectionFiles(resolve(this.paths.tenantsDir, tenant))));
    return files;
  }

  private async connectionFiles(dir: string): Promise<string[]> {
    // Temp files (`.conn.tmp-…`) and locks never end in `.conn`.
    return (await this.list(dir))
      .filter((name) => name.endsWith(CONNECTION_SUFFIX))
      .sort()
      .map((name) => resolve(dir, name));
  }

  private async list(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.ioError('list', err);
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    const made = await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask; set it exactly on what we created.
    if (made) for (const d of [this.paths.root, this.paths.tenantsDir, dir]) if (d.startsWith(made)) await chmod(d, 0o700);
  }

  private async guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof QuickBooksAuthError) throw err;
      throw this.ioError(operation, err);
    }
  }

  private ioError(operation: string, err: unknown): StorageError {
    const code = (err as NodeJS.ErrnoException)?.code;
    return new StorageError(`File storage ${operation} failed (${typeof code === 'string' ? code : 'I/O error'})`, 'storage_unavailable');
  }
}

const RECONNECT_LISTED = new Set<ConnectionStatus>(RECONNECT_LISTED_STATUSES);
const DAY_MS = 86_400_000;

function bump(c: StoredConnection, now: Date): StoredConnection {
  return { ...c, version: c.version + 1, updatedAt: now };
}
