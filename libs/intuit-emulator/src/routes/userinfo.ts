import { sendJson } from '../http-utils';
import type { Grant } from '../token-store';
import { faultGate } from './fault-gate';
import type { RouteContext } from './route-context';

export const USERINFO_PATH = '/v1/openid_connect/userinfo';

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

export async function handleUserInfo(ctx: RouteContext): Promise<void> {
  const { req, res, state } = ctx;
  state.stats.endpoint('userinfo');
  if ((await faultGate(ctx, 'userinfo')).handled) return;
  const check = state.tokens.checkAccessToken(req.headers.authorization);
  // A token of the other environment is one this userinfo host never issued: refused as unknown.
  const reason = check.ok ? (check.grant.environment === ctx.environment ? null : 'unknown') : check.reason;
  if (!check.ok || reason) {
    return sendJson(res, 401, { error: 'invalid_token', error_description: `Token ${reason}` }, {
      'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"',
    });
  }
  sendJson(res, 200, userInfoFor(check.grant));
}
