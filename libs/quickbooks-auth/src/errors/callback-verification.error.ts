import { InvalidCallbackError } from './invalid-callback.error';

/**
 * Why the code exchange was not bound to this callback:
 * - id_token_missing: Intuit sent no id_token (the flow always asks for `openid`).
 * - id_token_invalid: not an RS256 JWT signed by a key of Intuit's JWKS, or wrong iss / aud / exp / iat.
 * - nonce_mismatch: the id_token answers another authorize request (a code from someone else's flow).
 * - realm_mismatch: the id_token's `realmid` is not the callback's `realmId` (rewritten callback).
 */
export type CallbackVerificationReason = 'id_token_missing' | 'id_token_invalid' | 'nonce_mismatch' | 'realm_mismatch';

/**
 * The code was exchanged but the tokens are not this callback's to store: refused before anything
 * was stored, and the tokens just issued were revoked at Intuit (`revokedAtIntuit`; false when even
 * the retried revoke failed: logged, and that grant stays at Intuit until its refresh token expires). A subclass of
 * InvalidCallbackError, so hosts that map that to 400 keep doing so.
 * @publicApi
 */
export class CallbackVerificationError extends InvalidCallbackError {
  constructor(
    public readonly reason: CallbackVerificationReason,
    public readonly revokedAtIntuit: boolean,
  ) {
    super(`the code exchange could not be bound to this callback (${reason})`, 'callback_verification_failed');
  }
}
