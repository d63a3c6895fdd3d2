import { clientCredentials, parseParams, readBody, sendJson } from '../http-utils';
import type { TokenResult } from '../token-service';
import { dropAfterSuccess, faultGate, spoilIdToken } from './fault-gate';
import type { RouteContext } from './route-context';

export const TOKEN_PATH = '/oauth2/v1/tokens/bearer';

/** POST /oauth2/v1/tokens/bearer: authorization_code and refresh_token grants. */
export async function handleToken(ctx: RouteContext): Promise<void> {
  const { req, res, state } = ctx;
  state.stats.endpoint('token');
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' });
  const body = await readBody(req);
  // Intuit's token endpoint takes form bodies only (RFC 6749 §4.1.3); JSON is refused, not read.
  if (!/^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? '').trim())) {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' });
  }
  const params = parseParams(req, body);
  const grantType = params.grant_type;
  state.stats.grant(grantType);

  // Counted before any injected latency: overlapping refreshes of one token are what we measure.
  const release = grantType === 'refresh_token' && params.refresh_token ? state.stats.beginRefresh(params.refresh_token) : null;
  try {
    const gate = await faultGate(ctx, 'token', grantType);
    if (gate.handled) return;

    const { clientId, clientSecret } = clientCredentials(req, params);
    const client = state.store.authenticateClient(clientId, clientSecret);
    if (!client) {
      state.stats.invalidClients += 1;
      return sendJson(res, 401, { error: 'invalid_client' });
    }

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

    if (result.ok && dropAfterSuccess(ctx, gate.dropAfter)) return;
    if (result.ok) spoilIdToken(ctx, gate.badIdToken, result.body);
    sendJson(res, result.status, result.body);
  } finally {
    release?.();
  }
}
