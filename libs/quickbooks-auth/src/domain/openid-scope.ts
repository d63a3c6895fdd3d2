/** The OIDC scope: Intuit then returns an id_token whose `realmid` binds the code to a company. */
export const OPENID_SCOPE = 'openid';

/**
 * The scopes asked for, with `openid` added when missing: the callback refuses a code exchange it
 * cannot bind to the callback's realm and nonce, and only the id_token carries both.
 */
export function withOpenId(scopes: readonly string[]): string[] {
  return scopes.includes(OPENID_SCOPE) ? [...scopes] : [...scopes, OPENID_SCOPE];
}
