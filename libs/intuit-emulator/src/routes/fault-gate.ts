import type { FaultRule, ProtocolEndpoint } from '../faults';
import { destroySocket, sendHtml, sendJson, sleep } from '../http-utils';
import { serviceUnavailableFault, throttledFault } from '../qbo-faults';
import { sendQboFault } from '../qbo-response';
import type { TokenResponse } from '../emulator-token-issuer';
import type { RouteContext } from './route-context';

/** Rules that act only after the request was processed; the route applies them. */
export interface ArmedFaults {
  /** An armed drop_after_rotate rule: process normally, then call dropAfterSuccess(). */
  dropAfter: FaultRule | null;
  /** An armed bad_id_token rule: process normally, then spoil the id_token (spoilIdToken()). */
  badIdToken: FaultRule | null;
}

/** For a route not subject to fault injection. */
export const NO_ARMED_FAULTS: Readonly<ArmedFaults> = Object.freeze({ dropAfter: null, badIdToken: null });

export interface FaultGateResult extends ArmedFaults {
  /** A fault already answered (or killed) the request: the route must stop. */
  handled: boolean;
}

/** Body an injected 429/5xx gets on the OAuth endpoints (the QBO API slice answers a QBO fault). */
function oauthFaultBody(status: number): unknown {
  if (status === 429) return { error: 'rate_limit_exceeded', error_description: 'Too many requests' };
  return { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: `Injected fault (HTTP ${status})` };
}

function retryAfterHeader(value: number | string | undefined, fallback?: number): Record<string, string> {
  const v = value ?? fallback;
  return v === undefined ? {} : { 'retry-after': String(v) };
}

/**
 * Applies the fault rules matching this request, in the order a real edge would: latency first,
 * then at most one terminal fault (status, rate_limit, reset, garbage, html).
 */
export async function faultGate(ctx: RouteContext, endpoint: ProtocolEndpoint, grantType?: string): Promise<FaultGateResult> {
  const { state, req, res } = ctx;
  const rules = state.faults.select(endpoint, grantType);
  if (rules.length === 0) return { handled: false, dropAfter: null, badIdToken: null };
  let dropAfter: FaultRule | null = null;
  let badIdToken: FaultRule | null = null;
  for (const rule of rules) {
    if (rule.type !== 'latency' || !state.faults.consume(rule)) continue;
    state.stats.faultsApplied += 1;
    await sleep(rule.latencyMs ?? 1000);
  }
  for (const rule of rules) {
    if (rule.type === 'latency') continue;
    if (rule.type === 'drop_after_rotate' || rule.type === 'withhold_after_rotate') {
      dropAfter ??= rule;
      continue;
    }
    if (rule.type === 'bad_id_token') {
      badIdToken ??= rule;
      continue;
    }
    if (!state.faults.consume(rule)) continue;
    state.stats.faultsApplied += 1;
    const now = state.serverNow();
    switch (rule.type) {
      case 'reset':
        destroySocket(req, res);
        break;
      case 'rate_limit':
        if (endpoint === 'companyinfo')
          sendQboFault(req, res, 429, throttledFault('ThrottleExceeded'), now, retryAfterHeader(rule.retryAfter, 60));
        else sendJson(res, 429, oauthFaultBody(429), retryAfterHeader(rule.retryAfter, 60));
        break;
      case 'status': {
        const status = rule.status ?? 503;
        const html = rule.body ? rule.body === 'html' : status === 502 || status === 503 || status === 504;
        const headers = retryAfterHeader(rule.retryAfter);
        if (html)
          sendHtml(
            res,
            status,
            `<html><head><title>${status}</title></head><body><h1>${status} Service Unavailable</h1><p>Intuit emulator injected fault.</p></body></html>`,
            headers,
          );
        else if (endpoint === 'companyinfo') sendQboFault(req, res, status, serviceUnavailableFault(status), now, headers);
        else sendJson(res, status, oauthFaultBody(status), headers);
        break;
      }
      case 'garbage':
        // Declared JSON, but not JSON: what a broken proxy or truncated body looks like.
        res.statusCode = 200;
        res.end('{"access_token": <<garbage>> \u0000\u0001 not json');
        break;
      case 'html':
        sendHtml(
          res,
          200,
          "<!DOCTYPE html><html><head><title>Intuit</title></head><body><h1>We're making some updates</h1><p>QuickBooks is temporarily unavailable.</p></body></html>",
        );
        break;
    }
    return { handled: true, dropAfter: null, badIdToken: null };
  }
  return { handled: false, dropAfter, badIdToken };
}

/** A code exchange answered with an id_token: spoil it as the rule says (consumed only then). */
export function spoilIdToken(ctx: RouteContext, rule: FaultRule | null, body: TokenResponse): void {
  if (!rule || body.id_token === undefined || !ctx.state.faults.consume(rule)) return;
  ctx.state.stats.faultsApplied += 1;
  const spoilt = ctx.state.idTokens.spoil(body.id_token, rule.idToken ?? 'foreign_key');
  if (spoilt === null) delete body.id_token;
  else body.id_token = spoilt;
}

/**
 * Commit happened; now lose the response: drop_after_rotate resets the connection,
 * withhold_after_rotate never answers (the client's own timeout ends it). True when lost.
 */
export function dropAfterSuccess(ctx: RouteContext, rule: FaultRule | null): boolean {
  if (!rule || !ctx.state.faults.consume(rule)) return false;
  ctx.state.stats.faultsApplied += 1;
  ctx.state.stats.droppedAfterRotate += 1;
  if (rule.type === 'withhold_after_rotate') return true; // socket left open, nothing written
  destroySocket(ctx.req, ctx.res);
  return true;
}
