/**
 * Base class of every error the module throws. Messages never contain a secret (I5):
 * no token, code, client secret or key, only ids and error codes.
 * @publicApi
 */
export class QuickBooksAuthError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `reauthorization_required`. */
    public readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
