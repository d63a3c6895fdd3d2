import type { Provider } from '@nestjs/common';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { IntuitCircuitBreaker } from './intuit-circuit-breaker.service';
import { INTUIT_TOKEN_CALL_GATE } from './intuit.constants';
import { nestGates, type TokenCallGate } from './token-call-gate';
import { TokenCallRateLimiter } from './token-call-rate-limiter';

/**
 * @internal The token-call gate: the breaker outside, the rate limit inside it, so a call the
 * breaker refuses takes no rate-limit slot. Without `scheduler.maxTokenCallsPerSecond`, the breaker alone.
 */
export const tokenCallGateProvider: Provider = {
  provide: INTUIT_TOKEN_CALL_GATE,
  inject: [IntuitCircuitBreaker, QUICKBOOKS_AUTH_RESOLVED_OPTIONS],
  useFactory: (breaker: IntuitCircuitBreaker, o: ResolvedQuickBooksAuthOptions): TokenCallGate => {
    const rate = o.scheduler.maxTokenCallsPerSecond;
    return rate ? nestGates(breaker, new TokenCallRateLimiter(rate)) : breaker;
  },
};
