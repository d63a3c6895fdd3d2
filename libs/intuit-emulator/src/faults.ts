/**
 * Fault injection: rules the control API adds so client resilience (retries, backoff, the
 * rotate-then-lose-the-response race) can be tested against real sockets.
 */

export const FAULT_ENDPOINTS = ['token', 'revoke', 'userinfo', 'companyinfo', 'authorize', 'discovery', 'jwks', '*'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];
export type ProtocolEndpoint = Exclude<FaultEndpoint, '*'>;

export const FAULT_TYPES = [
  'latency',
  'status',
  'rate_limit',
  'reset',
  'drop_after_rotate',
  'withhold_after_rotate',
  'garbage',
  'html',
  'bad_id_token',
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/**
 * bad_id_token: what is wrong with the code exchange's id_token. `foreign_key` (signed by a key
 * not in the JWKS, same kid), `alg_none` (unsigned), `missing` (no id_token at all), or one claim
 * wrong and the token re-signed with the real key: `issuer`, `audience`, `expired`, `nonce`, `realmid`.
 */
export const ID_TOKEN_TAMPERS = ['foreign_key', 'alg_none', 'missing', 'issuer', 'audience', 'expired', 'nonce', 'realmid'] as const;
export type IdTokenTamper = (typeof ID_TOKEN_TAMPERS)[number];

export type GrantType = 'refresh_token' | 'authorization_code';

export interface FaultRuleInput {
  endpoint: FaultEndpoint;
  type: FaultType;
  /** latency: delay before handling (default 1000 ms). */
  latencyMs?: number;
  /** status: HTTP status to answer (default 503). */
  status?: number;
  /** status: body shape (default html for 502/503/504 like a load balancer, json otherwise). */
  body?: 'json' | 'html';
  /** rate_limit/status: Retry-After value, seconds or an HTTP date. */
  retryAfter?: number | string;
  /** Chance of applying per matching request, 0..1 (default 1). */
  probability?: number;
  /** Apply this many times, then the rule expires (default unlimited). */
  count?: number;
  /** token endpoint only: restrict to one grant type. */
  grantType?: GrantType;
  /** bad_id_token: how the id_token is spoilt (default foreign_key). */
  idToken?: IdTokenTamper;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  /** Remaining applications; null = unlimited. */
  remaining: number | null;
  applied: number;
}

export class FaultRegistry {
  private readonly rules = new Map<string, FaultRule>();
  private nextId = 1;

  add(input: FaultRuleInput): FaultRule {
    const rule = validateFault(input);
    const stored: FaultRule = { ...rule, id: `f${this.nextId++}`, remaining: rule.count ?? null, applied: 0 };
    this.rules.set(stored.id, stored);
    return stored;
  }

  remove(id: string): boolean {
    return this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  list(): FaultRule[] {
    return [...this.rules.values()];
  }

  get size(): number {
    return this.rules.size;
  }

  /**
   * Rules that fire for this request (probability already rolled). They are not consumed yet:
   * call consume() when the fault is actually applied, so a drop_after_rotate rule is not used
   * up by a request that failed before rotating.
   */
  select(endpoint: ProtocolEndpoint, grantType?: string): FaultRule[] {
    if (this.rules.size === 0) return [];
    const out: FaultRule[] = [];
    for (const rule of this.rules.values()) {
      if (rule.endpoint !== '*' && rule.endpoint !== endpoint) continue;
      if (rule.grantType && rule.grantType !== grantType) continue;
      if (rule.remaining !== null && rule.remaining <= 0) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      out.push(rule);
    }
    return out;
  }

  /** Marks one application; false when a concurrent request already used the last one. */
  consume(rule: FaultRule): boolean {
    if (rule.remaining !== null) {
      if (rule.remaining <= 0) return false;
      rule.remaining -= 1;
      if (rule.remaining === 0) this.rules.delete(rule.id);
    }
    rule.applied += 1;
    return true;
  }
}

function validateFault(input: FaultRuleInput): FaultRuleInput {
  if (!input || typeof input !== 'object') throw new Error('fault rule must be an object');
  if (!FAULT_ENDPOINTS.includes(input.endpoint)) throw new Error(`endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}`);
  if (!FAULT_TYPES.includes(input.type)) throw new Error(`type must be one of ${FAULT_TYPES.join(', ')}`);
  const numberOrUndefined = (name: string, value: unknown, min: number, max = Infinity): void => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new Error(`${name} must be a number between ${min} and ${max}`);
    }
  };
  numberOrUndefined('latencyMs', input.latencyMs, 0, 600_000);
  numberOrUndefined('status', input.status, 100, 599);
  numberOrUndefined('probability', input.probability, 0, 1);
  numberOrUndefined('count', input.count, 1);
  if (input.retryAfter !== undefined && typeof input.retryAfter !== 'number' && typeof input.retryAfter !== 'string') {
    throw new Error('retryAfter must be seconds or an HTTP date string');
  }
  if (input.grantType !== undefined && input.grantType !== 'refresh_token' && input.grantType !== 'authorization_code') {
    throw new Error('grantType must be refresh_token or authorization_code');
  }
  if (input.body !== undefined && input.body !== 'json' && input.body !== 'html') throw new Error('body must be json or html');
  if (input.idToken !== undefined && !ID_TOKEN_TAMPERS.includes(input.idToken))
    throw new Error(`idToken must be one of ${ID_TOKEN_TAMPERS.join(', ')}`);
  if (input.type === 'bad_id_token' && input.endpoint !== 'token') throw new Error('bad_id_token applies to the token endpoint only');
  return {
    endpoint: input.endpoint,
    type: input.type,
    latencyMs: input.latencyMs,
    status: input.status,
    body: input.body,
    retryAfter: input.retryAfter,
    probability: input.probability,
    count: input.count,
    grantType: input.grantType,
    idToken: input.idToken,
  };
}
