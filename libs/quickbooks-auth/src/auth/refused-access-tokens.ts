import type { ConnectionRef } from '../domain/connection.interface';

/** Enough for every connection a replica serves; the oldest entry goes first past it. */
const MAX_ENTRIES = 10_000;

/**
 * Access tokens the QBO API refused (401) right after a forced refresh issued them: another refresh
 * would not help (a token used for the wrong company, an app without access), so withAccessToken
 * stops refreshing for that connection until a different token is stored. Without this, each call
 * costs one token call: a refresh storm against Intuit's limits.
 */
export class RefusedAccessTokens {
  private readonly refused = new Map<string, string>();

  /** True when `accessToken` is the one the API refused after its own refresh. */
  has(ref: ConnectionRef, accessToken: string): boolean {
    return this.refused.size > 0 && this.refused.get(keyOf(ref)) === accessToken;
  }

  add(ref: ConnectionRef, accessToken: string): void {
    const key = keyOf(ref);
    this.refused.delete(key);
    this.refused.set(key, accessToken);
    if (this.refused.size > MAX_ENTRIES) this.refused.delete(this.refused.keys().next().value as string);
  }

  /** A call succeeded: whatever was refused before no longer applies. */
  clear(ref: ConnectionRef): void {
    if (this.refused.size > 0) this.refused.delete(keyOf(ref));
  }
}

function keyOf(ref: ConnectionRef): string {
  return `${ref.tenantId}\u0000${ref.realmId}`;
}
