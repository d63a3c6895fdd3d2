import { Injectable, Logger } from '@nestjs/common';
import { CallbackVerificationError, type CallbackVerificationReason } from '../../errors/callback-verification.error';
import { AuthEventsPublisher } from '../../events/auth-events.publisher';
import { IdTokenRejected, IntuitIdTokenVerifier, type IdTokenExpectation } from '../../intuit/intuit-id-token.verifier';
import { IntuitOAuthClient, type IntuitClientCredentials, type TokenCallResult } from '../../intuit/intuit-oauth.client';
import { classifyRevokeFailure } from '../../intuit/revoke-failure';
import type { ConnectionRef } from '../../domain/connection.interface';

/** Pause before the one retry of a revoke that failed transiently. */
const REVOKE_RETRY_DELAY_MS = 500;

/**
 * Binds a code exchange to the callback that asked for it, before anything is stored. The state
 * only proves the callback came back to the browser that started the flow; the code and the
 * `realmId` beside it are attacker-controlled. Intuit's id_token says which authorize request
 * (nonce) and which company (realmid) the code belongs to: both must be this callback's. Tokens
 * that fail are revoked at once (they exist nowhere else and must not stay live at Intuit).
 */
@Injectable()
export class CallbackBinding {
  private readonly logger = new Logger('QuickBooksAuth');

  constructor(
    private readonly verifier: IntuitIdTokenVerifier,
    private readonly intuit: IntuitOAuthClient,
    private readonly events: AuthEventsPublisher,
  ) {}

  /** Before the exchange (the code is single use): fetch Intuit's signing keys, or fail while nothing is spent. */
  prepare(): Promise<void> {
    return this.verifier.prepare();
  }

  /**
   * Resolves when the exchanged tokens belong to this callback. Otherwise revokes them and throws
   * CallbackVerificationError (or QuickBooksUnavailableError when Intuit's keys became unreachable).
   */
  async verify(
    ref: ConnectionRef,
    call: TokenCallResult,
    expected: Omit<IdTokenExpectation, 'realmId'>,
    credentials: IntuitClientCredentials,
  ): Promise<void> {
    let reason: CallbackVerificationReason;
    try {
      if (!call.tokens.idToken) {
        reason = 'id_token_missing';
      } else {
        await this.verifier.verify(call.tokens.idToken, { ...expected, realmId: ref.realmId });
        return;
      }
    } catch (err) {
      if (!(err instanceof IdTokenRejected)) {
        await this.revokeIssued(ref, call, credentials, 'id_token_unverifiable');
        throw err;
      }
      reason = err.reason;
    }
    const revoked = await this.revokeIssued(ref, call, credentials, reason);
    throw new CallbackVerificationError(reason, revoked);
  }

  /** One revoke, retried once if Intuit failed transiently. True when the tokens are dead at Intuit. */
  private async revokeIssued(
    ref: ConnectionRef,
    call: TokenCallResult,
    credentials: IntuitClientCredentials,
    reason: string,
  ): Promise<boolean> {
    const where = `tenant=${ref.tenantId} realm=${this.events.realmForLogs(ref.realmId)}${call.intuitTid ? ` intuit_tid=${call.intuitTid}` : ''}`;
    const refused = `callback refused (${reason}), nothing stored`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.intuit.revoke(call.tokens.refreshToken, credentials);
        this.logger.warn(`${refused}; the tokens Intuit issued for it were revoked ${where}`);
        return true;
      } catch (err) {
        const failure = classifyRevokeFailure(err);
        if (failure === 'already_invalid') {
          this.logger.warn(`${refused}; Intuit no longer knows the tokens it issued for it ${where}`);
          return true;
        }
        if (failure === 'transient' && attempt === 1) {
          await new Promise((r) => setTimeout(r, REVOKE_RETRY_DELAY_MS));
          continue;
        }
        this.logger.error(
          `${refused}, but revoking the tokens Intuit issued for it failed (${failure}): that grant stays at Intuit until its refresh token expires ${where}`,
        );
        return false;
      }
    }
  }
}
