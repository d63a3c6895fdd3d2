import { QuickBooksAuthError } from './quickbooks-auth.error';

/** Invalid module configuration. Lists every problem by variable or option name, never a value. */
export class ConfigurationError extends QuickBooksAuthError {
  constructor(public readonly problems: string[]) {
    super(`Invalid QuickBooks auth configuration:\n  - ${problems.join('\n  - ')}`, 'invalid_configuration');
  }
}
