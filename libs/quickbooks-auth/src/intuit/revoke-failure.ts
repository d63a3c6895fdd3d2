import { QuickBooksUnavailableError } from '../errors/quickbooks-unavailable.error';
import { IntuitCallFailure } from './intuit-call-failure';

/**
 * What a failed revoke call says about the grant:
 * - already_invalid: Intuit no longer knows the token (revoked, expired, never issued). It answers
 *   400, often with an empty body, rather than RFC 7009's 200. Nothing is left to revoke.
 * - transient: Intuit (or its discovery document) unreachable or failing; the grant is still live.
 * - refused: any other answer (invalid_client, 403, another 4xx); the grant is still live.
 */
export type RevokeFailure = 'already_invalid' | 'transient' | 'refused';

export function classifyRevokeFailure(err: unknown): RevokeFailure {
  if (err instanceof QuickBooksUnavailableError) return 'transient';
  if (!(err instanceof IntuitCallFailure)) return 'refused';
  if (err.transient) return 'transient';
  if (err.kind === 'invalid_grant' || (err.kind === 'oauth_error' && err.httpStatus === 400)) return 'already_invalid';
  return 'refused';
}
