import { clientCredentials, parseParams, readBody, sendEmpty, sendJson } from '../http-utils';
import { dropAfterSuccess, faultGate } from './fault-gate';
import type { RouteContext } from './route-context';

export const REVOKE_PATH = '/v2/oauth2/tokens/revoke';

/** POST /v2/oauth2/tokens/revoke: an access or refresh token disconnects the whole grant. */
export async function handleRevoke(ctx: RouteContext): Promise<void> {
  const { req, res, state } = ctx;
  state.stats.endpoint('revoke');
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' });
  const params = parseParams(req, await readBody(req));
  const gate = await faultGate(ctx, 'revoke');
  if (gate.handled) return;

  const { clientId, clientSecret } = clientCredentials(req, params);
  const client = state.store.authenticateClient(clientId, clientSecret);
  if (!client) {
    state.stats.invalidClients += 1;
    return sendJson(res, 401, { error: 'invalid_client' });
  }
  if (!params.token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
  const outcome = state.tokens.revoke(client.clientId, params.token);
  if (!outcome.ok) return sendJson(res, 400, { error: 'invalid_request', error_description: 'Token invalid' });
  if (dropAfterSuccess(ctx, gate.dropAfter)) return;
  sendEmpty(res, 200);
}
