/** The fields of Intuit's OpenID discovery document the module uses. */
export interface IntuitDiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  revocation_endpoint: string;
  jwks_uri?: string;
}
