import { QuickBooksAuthError } from './quickbooks-auth.error';

/** A method was called with an argument it cannot use (a bad window, limit or cursor): nothing was read or written (I8). */
export class InvalidArgumentError extends QuickBooksAuthError {
  constructor(reason: string) {
    super(`Invalid argument: ${reason}`, 'invalid_argument');
  }
}
