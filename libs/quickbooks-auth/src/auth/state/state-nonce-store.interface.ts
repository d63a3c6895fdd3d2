/**
 * Remembers consumed OAuth state nonces until they expire, so a state works once.
 * With several replicas use a shared store (Redis); the in-memory store is per process.
 */
export interface StateNonceStore {
  /** True the first time a nonce is consumed, false on any replay. */
  consume(nonce: string, expiresAt: Date): Promise<boolean>;
}
