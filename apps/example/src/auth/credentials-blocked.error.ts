/** Too many failed API keys or logins from one client: refused, whatever it presents, until the block ends. */
export class CredentialsBlockedError extends Error {
  constructor(public readonly retryAfterSeconds: number) {
    super('too many failed authentication attempts');
    this.name = 'CredentialsBlockedError';
  }
}
