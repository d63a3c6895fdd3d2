import { assertControlAccess } from '../control-guard';
import { clientCredentials, sendJson } from '../http-utils';
import { faultGate, NO_ARMED_FAULTS, type ArmedFaults } from './fault-gate';
import { authorizeQboCall, holdConcurrencySlot } from './qbo-call-checks';
import type { RouteContext } from './route-context';
import { resolveRoute, servesMethod } from './route-table';
import type { RouteInput } from './route-spec';

/** The request before routing: no path parameters yet. */
export type IncomingContext = Omit<RouteContext, 'params'>;

/**
 * Serves one request: finds its route in the table, then runs the steps the route asks for, always
 * in this order (the order Intuit's edge and the emulator's fidelity rules need):
 *
 * 1. stats: counted in `byEndpoint`;
 * 2. method: a method the route does not serve answers 405 (only token and revoke match one);
 * 3. control guard: Host, Origin, content type and token of a control call, before any read;
 * 4. QBO slot: a concurrent-request slot for the realm, held before injected latency;
 * 5. body: read and parsed (validated, for the control API) by the route's reader;
 * 6. tracking: grant counts and in-flight refreshes, before injected latency;
 * 7. fault gate: injected latency, then at most one terminal fault;
 * 8. client auth: HTTP Basic or body credentials, else 401 invalid_client;
 * 9. QBO checks: token, environment, realm and throttles, answered as Intuit does;
 * 10. the handler.
 *
 * No route answers 404 JSON naming the method and path.
 */
export async function serveRequest(incoming: IncomingContext): Promise<void> {
  const { req, res, state } = incoming;
  const method = req.method ?? 'GET';
  const resolved = resolveRoute(method, incoming.path);
  if (!resolved) {
    return sendJson(res, 404, { error: 'not_found', error_description: `No route for ${req.method} ${incoming.path}` });
  }
  const { route } = resolved;
  const ctx: RouteContext = {
    ...incoming,
    path: resolved.path,
    params: resolved.params,
    environment: resolved.environment ?? incoming.environment,
  };

  const realmId = route.qbo ? decodeURIComponent(ctx.params.realmId) : '';
  if (route.stats) state.stats.endpoint(route.stats);
  if (!servesMethod(route, method)) return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' });
  if (route.control) assertControlAccess(req, state.controlAccess);
  const withinConcurrency = route.qbo ? holdConcurrencySlot(ctx, realmId) : true;
  const body: unknown = route.body ? await route.body(ctx) : undefined;

  const release = route.track?.(ctx, body) ?? null;
  try {
    let faults: ArmedFaults = NO_ARMED_FAULTS;
    if (route.faults) {
      const gate = await faultGate(ctx, route.faults, route.faultGrantType?.(body));
      if (gate.handled) return;
      faults = gate;
    }
    const input: Partial<RouteInput<unknown>> = { body, faults, realmId };
    if (route.clientAuth) {
      const { clientId, clientSecret } = clientCredentials(req, body as Record<string, string>);
      const client = state.store.authenticateClient(clientId, clientSecret);
      if (!client) {
        state.stats.invalidClients += 1;
        return sendJson(res, 401, { error: 'invalid_client' });
      }
      input.client = client;
    }
    if (route.qbo) {
      const grant = authorizeQboCall(ctx, realmId, withinConcurrency);
      if (!grant) return;
      input.grant = grant;
    }
    await route.handle(ctx, input as RouteInput<unknown>);
  } finally {
    release?.();
  }
}
