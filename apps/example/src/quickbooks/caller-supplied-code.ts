import { BadRequestException } from '@nestjs/common';
import { IntuitResponseError } from '@quickbooks-auth/nestjs';

/**
 * Intuit answers `invalid_grant` to the code exchange when the code in the callback is unknown,
 * expired or already redeemed: the caller sent a bad code, so 400, not a 502 gateway error.
 * Any other refusal (invalid_client: our configuration) stays a 502. Null when not such an error.
 */
export function callerSuppliedCodeError(err: unknown): BadRequestException | null {
  if (!(err instanceof IntuitResponseError) || err.oauthError !== 'invalid_grant') return null;
  return new BadRequestException({
    error: 'invalid_code',
    message: 'The authorization code is invalid, expired or already used: connect again',
  });
}
