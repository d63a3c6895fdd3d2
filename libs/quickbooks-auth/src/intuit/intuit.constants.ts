/** @internal The TokenCallGate the Intuit OAuth client asks before every refresh-token call (circuit breaker, then rate limit). */
export const INTUIT_TOKEN_CALL_GATE = 'QUICKBOOKS_AUTH:INTUIT_TOKEN_CALL_GATE';
