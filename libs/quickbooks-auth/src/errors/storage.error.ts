import { QuickBooksAuthError } from './quickbooks-auth.error';

/** The token store failed or holds data that cannot be used (corrupt, foreign). */
export class StorageError extends QuickBooksAuthError {
  constructor(message: string, code = 'storage_error') {
    super(message, code);
  }
}
