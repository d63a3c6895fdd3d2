import { sendJson } from '../http-utils';
import { ignoredBody } from './body-readers';
import { defineRoute } from './route-spec';

/**
 * Intuit's retired OAuth 1.0 -> 2.0 token migration endpoint. Migration ended in 2019: the call is
 * answered as Intuit's OAuth server answers a request it does not support, an OAuth error body
 * (400 invalid_request), never tokens.
 */
export const migrateRoute = defineRoute({
  methods: 'ANY',
  path: '/v2/oauth2/tokens/migrate',
  body: ignoredBody,
  handle({ res }) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'OAuth 1.0 token migration is no longer supported' });
  },
});
