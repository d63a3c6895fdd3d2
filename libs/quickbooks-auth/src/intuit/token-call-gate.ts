import type { IntuitEnvironment } from '../domain/connection.interface';

/** What the gate knows about a token call. */
export interface TokenCallContext {
  environment: IntuitEnvironment;
}

/** Gate in front of every refresh-token call, scheduled and on demand (circuit breaker, global rate limit). */
export interface TokenCallGate {
  /** Resolves when a call may go out; throws IntuitCallFailure to refuse (breaker open). */
  run<T>(call: () => Promise<T>, context: TokenCallContext): Promise<T>;
}

/** `outer` admits first, then `inner`: the call runs inside both. */
export function nestGates(outer: TokenCallGate, inner: TokenCallGate): TokenCallGate {
  return { run: (call, context) => outer.run(() => inner.run(call, context), context) };
}
