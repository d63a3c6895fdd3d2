import { QuickBooksAuthError } from './quickbooks-auth.error';

/**
 * A connection given to `TokenService.importConnection` is not valid. `problems` name the fields
 * and what is wrong with them, never their values (they may be tokens, I5).
 */
export class ImportValidationError extends QuickBooksAuthError {
  constructor(public readonly problems: string[]) {
    super(`Invalid connection to import: ${problems.join('; ')}`, 'import_invalid');
  }
}
