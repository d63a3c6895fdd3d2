import type { z } from 'zod';
import { HttpError, sendJson } from '../http-utils';
import { jsonBody } from './body-readers';
import {
  autoApproveBody,
  clockAdvanceBody,
  clockSetBody,
  configBody,
  emptyBody,
  faultRuleBody,
  mintBody,
  registerClientBody,
  revokeRealmBody,
} from './control-schemas';
import type { RouteContext } from './route-context';
import { defineRoute, type AnyRoute, type HttpMethod, type RouteSpec } from './route-spec';

export const CONTROL_PREFIX = '/_emulator';

/** Runs a state operation, turning its validation errors into 400s. */
function attempt<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, { error: 'invalid_request', error_description: err instanceof Error ? err.message : String(err) });
  }
}

function ok(ctx: RouteContext, payload: unknown): void {
  sendJson(ctx.res, 200, payload);
}

/**
 * A control route: guarded (Host, Origin, content type, token) before anything is read, its JSON
 * body (POST, PUT, DELETE) validated by `schema` before the handler runs.
 */
function controlRoute<Schema extends z.ZodType>(
  method: HttpMethod,
  path: string,
  schema: Schema,
  handle: RouteSpec<z.output<Schema>>['handle'],
): AnyRoute {
  return defineRoute<z.output<Schema>>({
    methods: [method],
    path: `${CONTROL_PREFIX}${path}`,
    control: true,
    body: jsonBody(schema),
    handle,
  });
}

/**
 * Test/ops control surface under /_emulator/: clients, auto-approve, minting, clock, config,
 * faults, stats, reset. JSON in and out; documented in the emulator README. Only for local
 * callers: Host, Origin, content type and the optional token are checked first (control-guard).
 */
export const controlRoutes: AnyRoute[] = [
  controlRoute('POST', '/clients', registerClientBody, (ctx, { body }) => {
    const { state } = ctx;
    attempt(() => state.registerClient(body));
    ok(ctx, { clientId: body.clientId, environment: state.store.clients.get(body.clientId)?.environment, registered: true });
  }),
  controlRoute('GET', '/clients', emptyBody, (ctx) => {
    ok(ctx, {
      clients: [...ctx.state.store.clients.values()].map((c) => ({
        clientId: c.clientId,
        redirectUris: c.redirectUris,
        environment: c.environment,
      })),
    });
  }),
  controlRoute('POST', '/auto-approve', autoApproveBody, (ctx, { body }) => {
    attempt(() => ctx.state.setAutoApprove(body.enabled, body.realmId));
    ok(ctx, ctx.state.autoApprove);
  }),
  controlRoute('POST', '/connections', mintBody, (ctx, { body }) => {
    ok(ctx, { connections: attempt(() => ctx.state.mint(body)) });
  }),
  controlRoute('POST', '/revoke-realm', revokeRealmBody, async (ctx, { body: { realmId, disconnectUrl } }) => {
    const revokedGrants = ctx.state.revokeRealm(realmId);
    // QBO "Disconnect" then sends the customer's browser to the app's Disconnect URL with ?realmId=.
    if (!disconnectUrl) return ok(ctx, { realmId, revokedGrants });
    ok(ctx, { realmId, revokedGrants, disconnectUrlStatus: await visitDisconnectUrl(disconnectUrl, realmId) });
  }),
  controlRoute('GET', '/realms/:realmId', emptyBody, (ctx) => {
    const summary = ctx.state.realmSummary(decodeURIComponent(ctx.params.realmId));
    if (summary) return ok(ctx, summary);
    sendJson(ctx.res, 404, { error: 'not_found', error_description: 'No grant for this realm' });
  }),
  controlRoute('POST', '/keys/rotate', emptyBody, (ctx) => {
    ok(ctx, { kid: ctx.state.idTokens.rotateKey() });
  }),
  controlRoute('GET', '/clock', emptyBody, (ctx) => {
    ok(ctx, ctx.state.clock.snapshot());
  }),
  controlRoute('POST', '/clock/advance', clockAdvanceBody, (ctx, { body }) => {
    attempt(() => ctx.state.clock.advance(body.seconds));
    ok(ctx, ctx.state.clock.snapshot());
  }),
  controlRoute('POST', '/clock/set', clockSetBody, (ctx, { body }) => {
    attempt(() => ctx.state.clock.set(body.offsetMs));
    ok(ctx, ctx.state.clock.snapshot());
  }),
  controlRoute('GET', '/config', emptyBody, (ctx) => {
    ok(ctx, ctx.state.config);
  }),
  controlRoute('POST', '/config', configBody, (ctx, { body }) => {
    ok(
      ctx,
      attempt(() => ctx.state.updateConfig(body)),
    );
  }),
  controlRoute('GET', '/faults', emptyBody, (ctx) => {
    ok(ctx, { faults: ctx.state.faults.list() });
  }),
  controlRoute('POST', '/faults', faultRuleBody, (ctx, { body }) => {
    const rule = attempt(() => ctx.state.faults.add(body));
    ok(ctx, { id: rule.id, fault: rule });
  }),
  controlRoute('DELETE', '/faults', emptyBody, (ctx) => {
    ctx.state.faults.clear();
    ok(ctx, { cleared: true });
  }),
  controlRoute('DELETE', '/faults/:id', emptyBody, (ctx) => {
    const removed = ctx.state.faults.remove(decodeURIComponent(ctx.params.id));
    if (removed) return ok(ctx, { removed: ctx.params.id });
    sendJson(ctx.res, 404, { error: 'not_found', error_description: 'No such fault' });
  }),
  controlRoute('GET', '/stats', emptyBody, (ctx) => {
    ok(ctx, ctx.state.statsSnapshot());
  }),
  controlRoute('POST', '/stats/reset', emptyBody, (ctx) => {
    ctx.state.stats.reset();
    ok(ctx, { reset: true });
  }),
  controlRoute('POST', '/reset', emptyBody, (ctx) => {
    ctx.state.reset();
    ok(ctx, { reset: true });
  }),
  // Last: any other method or path under the prefix, still guarded and its JSON body still parsed.
  defineRoute({
    methods: 'ANY',
    path: `${CONTROL_PREFIX}/**`,
    control: true,
    body: jsonBody(emptyBody),
    handle(ctx) {
      const route = ctx.path.slice(CONTROL_PREFIX.length) || '/';
      sendJson(ctx.res, 404, { error: 'not_found', error_description: `No control route ${ctx.req.method} ${route}` });
    },
  }),
];

/**
 * What the customer's browser does after "Disconnect" in QBO: a plain GET of the app's Disconnect
 * URL with `realmId` added, following no redirect and carrying nothing secret. The HTTP status
 * (or 0 when the app could not be reached) is reported back.
 */
async function visitDisconnectUrl(url: URL, realmId: string): Promise<number> {
  const target = new URL(url);
  target.searchParams.set('realmId', realmId);
  try {
    const res = await fetch(target, { redirect: 'manual', headers: { Accept: 'text/html' }, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  } catch {
    return 0;
  }
}
