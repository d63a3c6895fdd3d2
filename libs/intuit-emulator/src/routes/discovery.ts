import { sendJson } from '../http-utils';
import { faultGate } from './fault-gate';
import type { RouteContext } from './route-context';

export const DISCOVERY_PATHS = ['/.well-known/openid_configuration', '/.well-known/openid_sandbox_configuration'];

/** Intuit's discovery document, every endpoint pointing back at this emulator. */
export function discoveryDocument(baseUrl: string, issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${baseUrl}/connect/oauth2`,
    token_endpoint: `${baseUrl}/oauth2/v1/tokens/bearer`,
    userinfo_endpoint: `${baseUrl}/v1/openid_connect/userinfo`,
    revocation_endpoint: `${baseUrl}/v2/oauth2/tokens/revoke`,
    jwks_uri: `${baseUrl}/op/v1/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile', 'address', 'phone'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: ['aud', 'exp', 'iat', 'iss', 'realmid', 'sub'],
  };
}

export async function handleDiscovery(ctx: RouteContext): Promise<void> {
  ctx.state.stats.endpoint('discovery');
  if ((await faultGate(ctx, 'discovery')).handled) return;
  sendJson(ctx.res, 200, discoveryDocument(ctx.state.baseUrl, ctx.state.issuer));
}

export async function handleJwks(ctx: RouteContext): Promise<void> {
  ctx.state.stats.endpoint('jwks');
  if ((await faultGate(ctx, 'jwks')).handled) return;
  sendJson(ctx.res, 200, ctx.state.idTokens.jwks());
}
