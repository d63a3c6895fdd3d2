import { sendJson } from '../http-utils';
import type { Grant } from '../token-store';
import { defineRoute } from './route-spec';

/** Intuit's camelCase userinfo, filtered by the OIDC scopes the grant holds. */
export function userInfoFor(grant: Grant): Record<string, unknown> {
  const has = (s: string): boolean => grant.scopes.includes(s);
  const info: Record<string, unknown> = { sub: grant.sub };
  if (has('email')) {
    info.email = `owner-${grant.realmId}@example.com`;
    info.emailVerified = true;
  }
  if (has('profile')) {
    info.givenName = 'Emulated';
    info.familyName = 'Owner';
  }
  if (has('phone')) {
    info.phoneNumber = '+1 5555550100';
    info.phoneNumberVerified = true;
  }
  if (has('address')) {
    info.address = { streetAddress: '2700 Coast Ave', locality: 'Mountain View', region: 'CA', postalCode: '94043', country: 'US' };
  }
  return info;
}

/** GET (any method, as before) /v1/openid_connect/userinfo: the bearer token's claims. */
export const userInfoRoute = defineRoute({
  methods: 'ANY',
  path: '/v1/openid_connect/userinfo',
  namespaced: true,
  stats: 'userinfo',
  faults: 'userinfo',
  handle(ctx) {
    const { req, res, state } = ctx;
    const check = state.tokens.checkAccessToken(req.headers.authorization);
    // A token of the other environment is one this userinfo host never issued: refused as unknown.
    const reason = check.ok ? (check.grant.environment === ctx.environment ? null : 'unknown') : check.reason;
    if (!check.ok || reason) {
      return sendJson(
        res,
        401,
        { error: 'invalid_token', error_description: `Token ${reason}` },
        {
          'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"',
        },
      );
    }
    sendJson(res, 200, userInfoFor(check.grant));
  },
});
