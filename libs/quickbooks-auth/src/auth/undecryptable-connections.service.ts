import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import type { UndecryptableOperation } from '../events/internal-signal';
import { QuickBooksAuthEvent } from '../events/quickbooks-auth.events';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import type { ConnectionRef } from '../domain/connection.interface';
import type { TokenStorage } from './storage/token-storage.interface';

export type { UndecryptableOperation } from '../events/internal-signal';

/** One log line per connection at most this often (replicas may repeat it). */
export const UNDECRYPTABLE_LOG_INTERVAL_MS = 15 * 60_000;
/** A connection counts as undecryptable for health and the gauge this long after it was last seen. */
export const UNDECRYPTABLE_RECENT_MS = 15 * 60_000;
/** Bound on remembered connections, so a key removed from a huge fleet cannot grow the map without limit. */
const MAX_REMEMBERED = 10_000;

interface Seen {
  lastSeenAt: number;
  lastLoggedAt: number;
}

/**
 * Connections this process found it cannot decrypt (key removed from the ring, row altered), as
 * the scheduler's claims and TokenService's reads report them: each is logged with ids only
 * (never a token or key: I5), at most once per connection per UNDECRYPTABLE_LOG_INTERVAL_MS,
 * counted for metrics, and remembered for health (degraded) and the gauge. A reconnect or a
 * disconnect of that connection, or a later successful read, forgets it.
 */
@Injectable()
export class UndecryptableConnections implements OnModuleInit {
  private readonly logger = new Logger('QuickBooksAuth');
  private readonly seen = new Map<string, Seen>();
  private readonly recentMs: number;

  constructor(
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {
    // The scheduler sees such a row again once its claim lease lapses: stay "recent" across that gap.
    this.recentMs = Math.max(UNDECRYPTABLE_RECENT_MS, 2 * (options.leaseTtlMs + options.scheduler.tickSeconds * 1000));
  }

  onModuleInit(): void {
    this.events.subscribe((name, payload) => {
      // Reconnected (the row was overwritten) or disconnected (tokens wiped): repaired.
      if (name === QuickBooksAuthEvent.Connected || name === QuickBooksAuthEvent.Revoked) this.resolved(payload);
    });
  }

  /** A row of `ref` failed to decrypt during `operation`. `reason` names key ids and layers only. */
  report(row: ConnectionRef & { reason: string }, operation: UndecryptableOperation): void {
    const now = this.options.clock.now();
    const key = keyOf(row);
    const previous = this.seen.get(key);
    const log = !previous || now - previous.lastLoggedAt >= UNDECRYPTABLE_LOG_INTERVAL_MS;
    this.seen.delete(key); // re-inserted last: the map stays in least-recently-seen order
    if (this.seen.size >= MAX_REMEMBERED) this.forgetOldest();
    this.seen.set(key, { lastSeenAt: now, lastLoggedAt: log ? now : previous!.lastLoggedAt });
    this.events.signal({ kind: 'undecryptable_row', operation });
    if (log) {
      this.logger.error(
        `connection cannot be decrypted (${row.reason}); ${operation === 'claim' ? 'skipped by the refresh scheduler' : `refused on ${operation}`}:` +
          ` reconnect it, disconnect it, or restore its key backend=${this.storage.kind} tenant=${row.tenantId} realm=${this.events.realmForLogs(row.realmId)}`,
      );
    }
  }

  /** `ref` was read (or rewritten) fine: no longer undecryptable here. */
  resolved(ref: ConnectionRef): void {
    if (this.seen.size) this.seen.delete(keyOf(ref));
  }

  /** Distinct connections found undecryptable within the recent window (health, gauge). */
  recentCount(): number {
    const since = this.options.clock.now() - this.recentMs;
    let count = 0;
    for (const [key, s] of this.seen) {
      if (s.lastSeenAt >= since) count++;
      else this.seen.delete(key);
    }
    return count;
  }

  private forgetOldest(): void {
    for (const key of this.seen.keys()) {
      if (this.seen.size < MAX_REMEMBERED * 0.9) break;
      this.seen.delete(key);
    }
  }
}

function keyOf(ref: ConnectionRef): string {
  return `${ref.tenantId}\u0000${ref.realmId}`;
}
