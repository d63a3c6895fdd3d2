import { sendEmpty, sendJson } from '../http-utils';
import { formOrJsonBody } from './body-readers';
import { dropAfterSuccess } from './fault-gate';
import { defineRoute } from './route-spec';

export const REVOKE_PATH = '/v2/oauth2/tokens/revoke';

/** POST /v2/oauth2/tokens/revoke: an access or refresh token disconnects the whole grant. */
export const revokeRoute = defineRoute({
  methods: ['POST'],
  otherMethods: 'use_post',
  path: REVOKE_PATH,
  stats: 'revoke',
  body: formOrJsonBody,
  faults: 'revoke',
  clientAuth: true,
  handle(ctx, { body: params, client, faults }) {
    const { res, state } = ctx;
    if (!params.token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
    const outcome = state.tokens.revoke(client.clientId, params.token);
    if (!outcome.ok) return sendJson(res, 400, { error: 'invalid_request', error_description: 'Token invalid' });
    if (dropAfterSuccess(ctx, faults.dropAfter)) return;
    sendEmpty(res, 200);
  },
});
