import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import type { ConnectionForAccess, ConnectionRef } from '../domain/connection.interface';

interface Entry {
  accessToken: string;
  expiresAt: Date;
  /** Wall-clock ms after which the entry must be re-read from storage. */
  staleAt: number;
}

/**
 * Per-process cache of decrypted access tokens, so the hot path of getAccessToken is a Map
 * lookup instead of a storage round trip and a decryption. Entries live at most
 * `accessTokenCacheSeconds` (default 30): a disconnect or reauth decided by another replica is
 * seen within that time (and Intuit rejects a revoked token anyway, which withAccessToken
 * turns into a storage re-read). Bounded: the oldest entries go first.
 */
@Injectable()
export class AccessTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(@Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) options: ResolvedQuickBooksAuthOptions) {
    this.ttlMs = options.accessTokenCacheSeconds * 1000;
    this.maxEntries = options.accessTokenCacheMaxEntries;
  }

  get(ref: ConnectionRef): Entry | undefined {
    if (this.ttlMs === 0) return undefined;
    const key = keyOf(ref);
    const entry = this.entries.get(key);
    if (entry && entry.staleAt < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  put(conn: ConnectionForAccess): void {
    if (this.ttlMs === 0 || conn.status !== 'active') return;
    const key = keyOf(conn);
    this.entries.delete(key); // re-insert at the end: Map order is our LRU order
    this.entries.set(key, { accessToken: conn.accessToken, expiresAt: conn.accessTokenExpiresAt, staleAt: Date.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  evict(ref: ConnectionRef): void {
    this.entries.delete(keyOf(ref));
  }

  clear(): void {
    this.entries.clear();
  }
}

function keyOf(ref: ConnectionRef): string {
  return `${ref.tenantId}\u0000${ref.realmId}`;
}
