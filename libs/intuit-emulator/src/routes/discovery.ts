import type { EmulatorEnvironment } from '../config';
import { sendJson } from '../http-utils';
import { defineRoute, type AnyRoute } from './route-spec';

/** Intuit's two discovery documents and the environment each describes. */
const DISCOVERY_ENVIRONMENTS: Readonly<Record<string, EmulatorEnvironment>> = {
  '/.well-known/openid_configuration': 'production',
  '/.well-known/openid_sandbox_configuration': 'sandbox',
};

/**
 * Intuit's discovery document, every endpoint pointing back at this emulator. Like Intuit's two
 * documents, the sandbox and production ones differ only in `userinfo_endpoint` (each environment
 * its own userinfo host, here its `/sandbox` or `/production` namespace); without `environment`
 * it is the un-prefixed path (the instance's default environment).
 */
export function discoveryDocument(baseUrl: string, issuer: string, environment?: EmulatorEnvironment): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${baseUrl}/connect/oauth2`,
    token_endpoint: `${baseUrl}/oauth2/v1/tokens/bearer`,
    userinfo_endpoint: `${baseUrl}${environment ? `/${environment}` : ''}/v1/openid_connect/userinfo`,
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

/** Both discovery documents (any method, trailing `/` tolerated like Intuit). */
export const discoveryRoutes: AnyRoute[] = Object.keys(DISCOVERY_ENVIRONMENTS).map((path) =>
  defineRoute({
    methods: 'ANY',
    path,
    stats: 'discovery',
    faults: 'discovery',
    handle(ctx) {
      sendJson(ctx.res, 200, discoveryDocument(ctx.state.baseUrl, ctx.state.issuer, DISCOVERY_ENVIRONMENTS[ctx.path]));
    },
  }),
);

/** The key set that verifies id_tokens. */
export const jwksRoute = defineRoute({
  methods: 'ANY',
  path: '/op/v1/jwks',
  stats: 'jwks',
  faults: 'jwks',
  handle(ctx) {
    sendJson(ctx.res, 200, ctx.state.idTokens.jwks());
  },
});
