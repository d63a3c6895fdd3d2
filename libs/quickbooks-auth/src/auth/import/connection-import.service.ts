import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { ImportValidationError } from '../../errors/import-validation.error';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import { AccessTokenCache } from '../access-token-cache';
import type { ConnectionRef } from '../../domain/connection.interface';
import { TokenRefresher } from '../refresh/token-refresher.service';
import type { TokenStorage } from '../storage/token-storage.interface';
import { isUndecryptable } from '../storage/undecryptable-record';
import type { ImportedConnection, ImportOptions, ImportOutcome } from './imported-connection';
import { validateImport, type ValidImport } from './import-validation';

const DAY_MS = 86_400_000;
/** Imported connections' first scheduled refresh is spread over this long (learns their real expiries). */
const FIRST_REFRESH_SPREAD_MS = 3_600_000;

/** What verify found: the refresh token works (alive), Intuit refused it (dead), or no verdict yet. */
export type VerifyOutcome = 'alive' | 'dead' | 'unknown';

/**
 * Imports connections made elsewhere, so customers need not reconnect (issue 16, part 2). Each is
 * stored through saveConnection like a connect: tokens sealed with the row's AAD (I6), status
 * active, last use unknown (the scheduler keeps it alive; its first getAccessToken makes it recent).
 */
@Injectable()
export class ConnectionImport {
  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
    private readonly refresher: TokenRefresher,
    private readonly cache: AccessTokenCache,
  ) {}

  /** Validates without touching storage: the value, or every problem (field names only). */
  validate(input: ImportedConnection): { value: ValidImport } | { problems: string[] } {
    return validateImport(input, this.options.environment);
  }

  /** See TokenService.importConnection. */
  async importConnection(input: ImportedConnection, opts: ImportOptions = {}): Promise<ImportOutcome> {
    const checked = this.validate(input);
    if ('problems' in checked) throw new ImportValidationError(checked.problems);
    const v = checked.value;
    const ref = { tenantId: v.tenantId, realmId: v.realmId };
    const existing = await this.storage.getRecord(ref);
    // A revoked row is a disconnected customer's audit trail: importing over it is a new connection.
    const status = existing === null ? null : isUndecryptable(existing) ? (existing.details?.status ?? 'active') : existing.status;
    const present = status !== null && status !== 'revoked';
    if (present && !opts.overwrite) return 'exists';
    if (opts.dryRun) return present ? 'overwritten' : 'imported';
    const now = this.options.clock.now();
    await this.storage.saveConnection({
      ...ref,
      environment: v.environment,
      scopes: v.scopes ?? this.options.scopes,
      accessToken: v.accessToken ?? '',
      refreshToken: v.refreshToken,
      // Without an access token: expired, so the first use refreshes on demand.
      accessTokenExpiresAt: v.accessTokenExpiresAt ?? new Date(0),
      refreshTokenExpiresAt: v.refreshTokenExpiresAt ?? new Date(now + 100 * DAY_MS),
      refreshTokenHardExpiresAt: v.refreshTokenHardExpiresAt,
      nextRefreshAt: new Date(now + Math.floor(Math.random() * FIRST_REFRESH_SPREAD_MS)),
      lastUsedAt: null,
      // An import replaces nothing it should revoke: the token it overwrites may be of the same grant.
      revokeReplacedAt: new Date(now + 100 * 365 * DAY_MS),
    });
    this.cache.evict(ref);
    return present ? 'overwritten' : 'imported';
  }

  /**
   * One refresh of a stored connection, to see whether its refresh token still works. Not a use:
   * under proactive 'recent' it stays on keep-alive. A refused token marks the connection
   * needs_reauth (and emits reauth_required) as any refresh would.
   */
  async verify(ref: ConnectionRef): Promise<VerifyOutcome> {
    const outcome = await this.refresher.refresh(ref, { trigger: 'scheduled', isFresh: () => false });
    this.cache.evict(ref);
    switch (outcome.kind) {
      case 'refreshed':
      case 'fresh':
        return 'alive';
      case 'reauth_required':
        return 'dead';
      case 'unavailable':
        return outcome.connection?.status === 'needs_reauth' ? 'dead' : 'unknown';
      default:
        return 'unknown';
    }
  }
}
