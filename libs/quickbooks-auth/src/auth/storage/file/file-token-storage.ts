import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CONNECTION_STATUSES, type ConnectionRef, type ConnectionStatus, type Lease, type StoredConnection } from '../../connection.interface';
import { QuickBooksAuthError } from '../../../errors/quickbooks-auth.error';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import { assertValidConnectionRef, assertValidLimit, assertValidTenantId, assertValidTtl } from '../connection-ref.validation';
import type { BeginCall, NewConnection, ReauthMark, RefreshFailure, RefreshResult, StorageStats, TokenStorage } from '../token-storage.interface';
import { fsyncDirectory, writeFileAtomic } from './atomic-write';
import { ciphertextsOf, decodeConnectionFile, encodeConnectionFile, parseEnvelope } from './connection-file-codec';
import { FileLock } from './file-lock';
import { CONNECTION_SUFFIX, FilePaths } from './file-paths';

export interface FileTokenStorageOptions {
  /** Created (mode 0700) when missing. Must be on a local disk of the single host that runs the app. */
  directory: string;
  /** A write lock older than this is taken over (default 30 s; writes take milliseconds). */
  lockTtlMs?: number;
  /** Give up waiting for a write lock after this long (default 10 s). */
  lockTimeoutMs?: number;
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

  constructor(
    options: FileTokenStorageOptions,
    private readonly cipher: TokenCipher,
  ) {
    this.paths = new FilePaths(resolve(options.directory));
    this.lock = new FileLock({ ttlMs: options.lockTtlMs ?? 30_000, timeoutMs: options.lockTimeoutMs ?? 10_000 }, (p) => this.paths.display(p));
  }

  async get(ref: ConnectionRef): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    return this.read(this.paths.connectionFile(ref), ref);
  }

  async listByTenant(tenantId: string): Promise<StoredConnection[]> {
    assertValidTenantId(tenantId);
    const out: StoredConnection[] = [];
    for (const file of await this.connectionFiles(this.paths.tenantDir(tenantId))) {
      const text = await this.readText(file);
      if (text === null) continue;
      const envelope = parseEnvelope(text, this.paths.display(file));
      // A file in this tenant's directory that names another tenant is foreign (I7).
      if (envelope.tenantId !== tenantId) throw new StorageError(`Connection file ${this.paths.display(file)} belongs to another tenant`, 'storage_foreign_file');
      out.push(decodeConnectionFile(envelope, this.paths.display(file), this.cipher));
    }
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.realmId < b.realmId ? -1 : 1));
  }

  async saveConnection(conn: NewConnection): Promise<StoredConnection> {
    assertValidConnectionRef(conn);
    const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
    return (await this.mutate(ref, (existing, now) => ({
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
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    })))!;
  }

  async acquireLease(ref: ConnectionRef, owner: string, ttlMs: number): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    return this.mutate(ref, (c, now) => {
      if (!c || !LEASABLE.has(c.status) || !leaseFree(c, now, owner)) return null;
      return bump({ ...c, leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + ttl), leaseGeneration: c.leaseGeneration + 1 }, now);
    });
  }

  async renewLease(ref: ConnectionRef, lease: Lease, ttlMs: number): Promise<boolean> {
    assertValidConnectionRef(ref);
    const ttl = assertValidTtl(ttlMs);
    // An expired lease can be renewed only while nobody else took it over.
    const renewed = await this.mutate(ref, (c, now) => (c && holds(c, lease) ? bump({ ...c, leaseExpiresAt: new Date(now.getTime() + ttl) }, now) : null));
    return renewed !== null;
  }

  async releaseLease(ref: ConnectionRef, lease: Lease): Promise<void> {
    assertValidConnectionRef(ref);
    await this.mutate(ref, (c, now) => {
      if (!c || !holds(c, lease)) return null;
      // Only our own call record goes: an earlier holder's may still be answered.
      const inflight = c.inflight?.generation === lease.generation ? null : c.inflight;
      return bump({ ...c, inflight, leaseOwner: null, leaseExpiresAt: null }, now);
    });
  }

  async beginCall(ref: ConnectionRef, lease: Lease, call: BeginCall): Promise<boolean> {
    assertValidConnectionRef(ref);
    const budget = assertValidTtl(call.callBudgetMs);
    const ttl = Math.max(assertValidTtl(call.ttlMs), budget);
    const begun = await this.mutate(ref, (c, now) => {
      if (!c || !holds(c, lease) || c.status !== 'active' || c.refreshTokenFingerprint !== call.fingerprint) return null;
      const t = now.getTime();
      if ((c.leaseExpiresAt?.getTime() ?? 0) < t + budget) return null;
      // An earlier holder's call with this very token may still be answered: wait it out.
      const unresolved = c.inflight !== null && c.inflight.fingerprint === c.refreshTokenFingerprint && c.inflight.generation !== lease.generation;
      if (unresolved && c.inflight!.deadlineAt.getTime() > t) return null;
      return bump(
        {
          ...c,
          inflight: { fingerprint: call.fingerprint, owner: lease.owner, generation: lease.generation, startedAt: now, deadlineAt: new Date(t + budget) },
          leaseExpiresAt: new Date(t + ttl),
        },
        now,
      );
    });
    return begun !== null;
  }

  async compareAndSwapTokens(ref: ConnectionRef, expectedFingerprint: string, result: RefreshResult, lease: Lease): Promise<StoredConnection | null> {
    assertValidConnectionRef(ref);
    const newFingerprint = this.cipher.fingerprint(result.refreshToken);
    const rotated = newFingerprint !== expectedFingerprint;
    return this.mutate(ref, (c, now) => {
      if (!c || c.refreshTokenFingerprint !== expectedFingerprint) return null;
      if (rotated) {
        // Fingerprint fence only: a rotated token is the only live one, whatever our generation.
        const revivable = (c.status === 'reauth_pending' || c.status === 'needs_reauth') && c.lastErrorFingerprint === expectedFingerprint;
        if (c.status !== 'active' && !revivable) return null;
      } else if (c.status !== 'active' || c.leaseGeneration !== lease.generation) {
        return null; // a late non-rotating answer must not revive or overwrite (I9)
      }
      const ours = c.leaseGeneration === lease.generation;
      return bump(
        {
          ...c,
          status: 'active',
          accessToken: result.accessToken,
          refreshToken: result.refreshToken,
          refreshTokenFingerprint: newFingerprint,
          accessTokenExpiresAt: result.accessTokenExpiresAt,
          refreshTokenExpiresAt: result.refreshTokenExpiresAt,
          refreshTokenHardExpiresAt: result.refreshTokenHardExpiresAt,
          nextRefreshAt: result.nextRefreshAt,
          failureCount: 0,
          nextAttemptAt: null,
          lastErrorCode: null,
          lastErrorFingerprint: null,
          lastRefreshedAt: now,
          inflight: null,
          // Another holder's lease is left alone: its beginCall now finds the fingerprint moved.
          leaseOwner: ours ? null : c.leaseOwner,
          leaseExpiresAt: ours ? null : c.leaseExpiresAt,
        },
        now,
      );
    });
  }

  async recordFailure(ref: ConnectionRef, lease: Lease, failure: RefreshFailure): Promise<void> {
    assertValidConnectionRef(ref);
    await this.mutate(ref, (c, now) => {
      // Only the lease holder records; never touches status (I4).
      if (!c || c.status !== 'active' || !holds(c, lease)) return null;
      return bump(
        {
          ...c,
          failureCount: failure.failureCount,
          nextAttemptAt: failure.nextAttemptAt ?? null,
          lastErrorCode: failure.lastErrorCode,
          inflight: null,
          leaseOwner: null,
          leaseExpiresAt: null,
        },
        now,
      );
    });
  }

  async markNeedsReauth(ref: ConnectionRef, lease: Lease, mark: ReauthMark): Promise<boolean> {
    assertValidConnectionRef(ref);
    const changed = await this.mutate(ref, (c, now) => {
      if (!c || (c.status !== 'active' && c.status !== 'reauth_pending')) return null;
      if (c.refreshTokenFingerprint !== mark.fingerprint || !holds(c, lease)) return null;
      return bump(
        {
          ...c,
          status: mark.pendingUntil ? 'reauth_pending' : 'needs_reauth',
          lastErrorCode: mark.errorCode,
          lastErrorFingerprint: mark.fingerprint,
          nextRefreshAt: mark.pendingUntil ?? c.nextRefreshAt,
          nextAttemptAt: null,
          inflight: null,
          leaseOwner: null,
          leaseExpiresAt: null,
        },
        now,
      );
    });
    return changed !== null;
  }

  async markRevoked(ref: ConnectionRef): Promise<boolean> {
    assertValidConnectionRef(ref);
    let existed = false;
    await this.mutate(ref, (c, now) => {
      existed = c !== null;
      if (!c) return null;
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
    return existed;
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
  async claimDue(now: Date, limit: number, owner: string, ttlMs: number): Promise<StoredConnection[]> {
    const max = assertValidLimit(limit);
    const ttl = assertValidTtl(ttlMs);
    const due = now.getTime();
    const isDue = (c: StoredConnection, leaseNow: Date) =>
      LEASABLE.has(c.status) && c.nextRefreshAt.getTime() <= due && (c.nextAttemptAt === null || c.nextAttemptAt.getTime() <= due) && leaseFree(c, leaseNow);
    const candidates = (await this.scanReadable())
      .filter((c) => isDue(c, new Date()))
      .sort((a, b) => a.nextRefreshAt.getTime() - b.nextRefreshAt.getTime());
    const claimed: StoredConnection[] = [];
    for (const candidate of candidates) {
      if (claimed.length >= max) break;
      // Re-check under the lock: another process may have claimed it since the scan.
      const leased = await this.mutate(candidate, (c, leaseNow) =>
        c && isDue(c, leaseNow)
          ? bump({ ...c, leaseOwner: owner, leaseExpiresAt: new Date(leaseNow.getTime() + ttl), leaseGeneration: c.leaseGeneration + 1 }, leaseNow)
          : null,
      ).catch((err) => {
        if (err instanceof QuickBooksAuthError && !(err instanceof StorageError && err.code === 'storage_unavailable')) return null;
        throw err;
      });
      if (leased) claimed.push(leased);
    }
    return claimed;
  }

  async stats(now: Date, withinMs: number): Promise<StorageStats> {
    const byStatus = Object.fromEntries(CONNECTION_STATUSES.map((st) => [st, 0])) as Record<ConnectionStatus, number>;
    const t = now.getTime();
    const leaseNow = Date.now();
    const stats: StorageStats = { byStatus, accessExpiringSoon: 0, accessExpired: 0, soonestAccessExpiry: null, soonestRefreshExpiry: null, staleLeases: 0 };
    for (const c of await this.scanReadable()) {
      byStatus[c.status]++;
      if (c.leaseOwner !== null && (c.leaseExpiresAt?.getTime() ?? 0) < leaseNow) stats.staleLeases++;
      if (c.status !== 'active') continue;
      const access = c.accessTokenExpiresAt.getTime();
      if (access < t + withinMs) stats.accessExpiringSoon++;
      if (access < t) stats.accessExpired++;
      if (!stats.soonestAccessExpiry || access < stats.soonestAccessExpiry.getTime()) stats.soonestAccessExpiry = c.accessTokenExpiresAt;
      if (!stats.soonestRefreshExpiry || c.refreshTokenExpiresAt < stats.soonestRefreshExpiry) stats.soonestRefreshExpiry = c.refreshTokenExpiresAt;
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
    const cmp = (a: ConnectionRef, b: [string, string]) => (a.tenantId < b[0] ? -1 : a.tenantId > b[0] ? 1 : a.realmId < b[1] ? -1 : a.realmId > b[1] ? 1 : 0);
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
        // The fingerprint is kept: an in-flight refresh fences on it.
        await writeFileAtomic(file, encodeConnectionFile(bump(conn, new Date()), this.cipher));
        return staleTokens;
      }),
    );
  }

  async close(): Promise<void> {}

  /** Read-modify-write under the connection's lock. `fn` returns the new document, or null for no write. */
  private async mutate(ref: ConnectionRef, fn: (current: StoredConnection | null, now: Date) => StoredConnection | null): Promise<StoredConnection | null> {
    const file = this.paths.connectionFile(ref);
    return this.guard('write', async () => {
      await this.ensureDir(this.paths.tenantDir(ref.tenantId));
      return this.lock.withLock(this.paths.lockFile(file), async () => {
        const next = fn(await this.read(file, ref), new Date());
        if (next) await writeFileAtomic(file, encodeConnectionFile(next, this.cipher));
        return next;
      });
    });
  }

  private async read(file: string, ref: ConnectionRef): Promise<StoredConnection | null> {
    const text = await this.readText(file);
    if (text === null) return null;
    return decodeConnectionFile(parseEnvelope(text, this.paths.display(file), ref), this.paths.display(file), this.cipher);
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
    const out: StoredConnection[] = [];
    for (const file of await this.allConnectionFiles()) {
      try {
        const text = await this.readText(file);
        if (text !== null) out.push(decodeConnectionFile(parseEnvelope(text, this.paths.display(file)), this.paths.display(file), this.cipher));
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
    return (await this.list(dir)).filter((name) => name.endsWith(CONNECTION_SUFFIX)).sort().map((name) => resolve(dir, name));
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

/** Statuses a lease (and a claim) can be taken on: reauth_pending is leased to be reconciled. */
const LEASABLE = new Set<ConnectionStatus>(['active', 'reauth_pending']);

/** `lease` still holds the connection: same owner and generation (the fence, I9). */
function holds(c: StoredConnection, lease: Lease): boolean {
  return c.leaseOwner === lease.owner && c.leaseGeneration === lease.generation;
}

function leaseFree(c: StoredConnection, now: Date, owner?: string): boolean {
  return c.leaseOwner === null || c.leaseOwner === owner || (c.leaseExpiresAt?.getTime() ?? 0) < now.getTime();
}

function bump(c: StoredConnection, now: Date): StoredConnection {
  return { ...c, version: c.version + 1, updatedAt: now };
}
