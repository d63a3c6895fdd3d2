import { QuickBooksAuthError } from './quickbooks-auth.error';

/** Intuit answered with an OAuth error or a body we cannot use (the body itself is never included). */
export class IntuitResponseError extends QuickBooksAuthError {
  constructor(
    message: string,
    /** OAuth error code (`invalid_grant`, `invalid_client`, ...) or `bad_response`. */
    public readonly oauthError: string,
    public readonly httpStatus: number | null,
    public readonly intuitTid: string | null,
  ) {
    super(message, oauthError);
  }
}
