import { sendJson } from '../http-utils';
import type { TokenResult } from '../emulator-token-issuer';
import { formOnlyBody } from './body-readers';
import { dropAfterSuccess, spoilIdToken } from './fault-gate';
import { defineRoute } from './route-spec';

export const TOKEN_PATH = '/oauth2/v1/tokens/bearer';

/** POST /oauth2/v1/tokens/bearer: authorization_code and refresh_token grants. */
export const tokenRoute = defineRoute({
  methods: ['POST'],
  otherMethods: 'use_post',
  path: TOKEN_PATH,
  stats: 'token',
  body: formOnlyBody,
  // Counted before any injected latency: overlapping refreshes of one token are what we measure.
  track({ state }, params) {
    state.stats.grant(params.grant_type);
    return params.grant_type === 'refresh_token' && params.refresh_token ? state.stats.beginRefresh(params.refresh_token) : null;
  },
  faults: 'token',
  faultGrantType: (params) => params.grant_type,
  clientAuth: true,
  handle(ctx, { body: params, client, faults }) {
    const { req, res, state } = ctx;
    const grantType = params.grant_type;
    const includeHard = String(req.headers['x-include-refresh-token-hard-expires-in'] ?? '').toLowerCase() === 'true';
    let result: TokenResult;
    if (grantType === 'authorization_code') {
      result = state.tokens.exchangeCode(client.clientId, params.code, params.redirect_uri, includeHard);
    } else if (grantType === 'refresh_token') {
      result = state.tokens.refresh(client.clientId, params.refresh_token, includeHard);
    } else if (!grantType) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'grant_type is required' });
    } else {
      return sendJson(res, 400, { error: 'unsupported_grant_type' });
    }

    if (result.ok && dropAfterSuccess(ctx, faults.dropAfter)) return;
    if (result.ok) spoilIdToken(ctx, faults.badIdToken, result.body);
    sendJson(res, result.status, result.body);
  },
});
