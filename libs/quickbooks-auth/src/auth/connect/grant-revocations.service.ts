import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import { IntuitCallFailure } from '../../intuit/intuit-call-failure';
import { IntuitOAuthClient } from '../../intuit/intuit-oauth.client';
import { classifyRevokeFailure } from '../../intuit/revoke-failure';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../../quickbooks-auth.constants';
import type { ConnectionRef } from '../../domain/connection.interface';
import type { PendingRevocation, TokenStorage } from '../storage/token-storage.interface';
import { TenantSettingsService } from '../tenant-settings.service';

/** A claimed revocation is not handed to another replica for this long (a revoke call takes seconds). */
export const REVOCATION_HOLD_MS = 2 * 60_000;
/** First retry after a failed revoke; doubles per attempt up to REVOCATION_MAX_BACKOFF_MS. */
export const REVOCATION_BASE_BACKOFF_MS = 30_000;
export const REVOCATION_MAX_BACKOFF_MS = 60 * 60_000;
/** Pending revocations one scheduler tick works through. */
const BATCH = 25;

/** What one attempt left: gone at Intuit (confirmed, or Intuit no longer knew the token), still pending, or nothing was pending. */
export type RevocationOutcome = 'revoked' | 'already_invalid' | 'pending' | 'none';

/** When the attempt after `attempts` failed ones goes out: exponential, capped, with up to 10 % jitter. */
export function revocationRetryAt(now: number, attempts: number): Date {
  const backoff = Math.min(REVOCATION_MAX_BACKOFF_MS, REVOCATION_BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
  return new Date(now + Math.round(backoff * (1 + Math.random() * 0.1)));
}

/**
 * Grants left at Intuit: a disconnect Intuit did not confirm (revoke_pending) and the grant a
 * reconnect replaced are pending revocations in storage, retried here until Intuit confirms or
 * answers that the token is already dead. Attempts come from the scheduler's tick (retryDue), a
 * reconnect right after it stored the new grant, and a repeated disconnect (retryNow). Tokens
 * never appear in a log line; only ids, codes and counts.
 */
@Injectable()
export class GrantRevocations {
  private readonly logger = new Logger('QuickBooksAuth');

  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    private readonly intuit: IntuitOAuthClient,
    private readonly tenants: TenantSettingsService,
    private readonly events: AuthEventsPublisher,
    @Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions,
  ) {}

  /** The scheduler's share: every pending revocation that is due, a batch at a time. */
  async retryDue(): Promise<number> {
    const due = await this.storage.claimRevocations(new Date(this.options.clock.now()), BATCH, REVOCATION_HOLD_MS);
    for (const pending of due) await this.attempt(pending);
    return due.length;
  }

  /** This connection's pending revocation, now, due or not ('none' when it has none). */
  async retryNow(ref: ConnectionRef): Promise<RevocationOutcome> {
    const [pending] = await this.storage.claimRevocations(new Date(this.options.clock.now()), 1, REVOCATION_HOLD_MS, ref);
    return pending ? this.attempt(pending) : 'none';
  }

  /** One revoke of one pending revocation, settled in storage. Never throws. */
  private async attempt(pending: PendingRevocation): Promise<RevocationOutcome> {
    const where = `tenant=${pending.tenantId} realm=${this.events.realmForLogs(pending.realmId)}`;
    const what = pending.disconnecting ? 'the disconnected grant' : 'the grant a reconnect replaced';
    try {
      if (pending.refreshToken === null) {
        // Sealed under a key no longer in the ring (or altered): nothing can revoke it.
        await this.storage.settleRevocation(pending, pending.fingerprint, null);
        this.logger.warn(`revoke of ${what} dropped: its token cannot be decrypted; the grant stays at Intuit until it expires ${where}`);
        return 'none';
      }
      if (!pending.disconnecting && !this.options.revokeReplacedGrants) {
        // Off by default: Intuit's revoke disconnects the app from the company, and whether that
        // reaches the grant a reconnect just created is unverified; never risk the live connection.
        await this.storage.settleRevocation(pending, pending.fingerprint, null);
        return 'none';
      }
      let outcome: RevocationOutcome = 'revoked';
      let reason = 'error';
      let intuitTid: string | null = null;
      try {
        await this.intuit.revoke(pending.refreshToken, await this.tenants.credentialsFor(pending.tenantId));
      } catch (err) {
        const failure = classifyRevokeFailure(err);
        outcome = failure === 'already_invalid' ? 'already_invalid' : 'pending';
        reason = err instanceof IntuitCallFailure ? (err.oauthError ?? err.kind) : failure;
        intuitTid = err instanceof IntuitCallFailure ? err.intuitTid : null;
      }
      const tid = intuitTid ? ` intuit_tid=${intuitTid}` : '';
      if (outcome === 'pending') {
        const retryAt = revocationRetryAt(this.options.clock.now(), pending.attempts + 1);
        await this.storage.settleRevocation(pending, pending.fingerprint, retryAt);
        this.logger.warn(
          `revoke of ${what} failed (${reason}), attempt ${pending.attempts + 1}; next at ${retryAt.toISOString()} ${where}${tid}`,
        );
      } else {
        await this.storage.settleRevocation(pending, pending.fingerprint, null);
        this.logger.log(
          `${what} ${outcome === 'revoked' ? 'revoked at Intuit' : 'was already invalid at Intuit'} after ${pending.attempts + 1} attempt(s) ${where}${tid}`,
        );
      }
      return outcome;
    } catch (err) {
      // A store or settings failure: the claim's hold runs out and another attempt follows.
      this.logger.warn(`revoke of ${what} could not be settled: ${(err as Error)?.message ?? 'unknown error'} ${where}`);
      return 'pending';
    }
  }
}
