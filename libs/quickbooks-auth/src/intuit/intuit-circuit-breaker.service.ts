import { Inject, Injectable, Logger } from '@nestjs/common';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { IntuitEnvironment } from '../domain/connection.interface';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS } from '../quickbooks-auth.constants';
import { IntuitCallFailure } from './intuit-call-failure';
import type { TokenCallContext, TokenCallGate } from './token-call-gate';

/** The Intuit circuit breaker's state, as the health indicator and metrics report it. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What the scheduler may do right now. */
export type ClaimMode = 'normal' | 'probe' | 'paused';

interface EnvironmentBreaker {
  policy: CircuitBreakerPolicy;
  state: BreakerState;
  /** Wall-clock ms the breaker last opened (cockatiel counts halfOpenAfter in wall time). */
  openedAt: number;
}

/**
 * The outer part of the token-call gate (token-call-gate.provider.ts), in front of every refresh
 * call (scheduled and on demand): one circuit breaker per Intuit environment, opened by a run of
 * transient failures (5xx, 429, resets) and never by invalid_grant or other answers about one
 * connection. A refused call becomes a transient `circuit_open` failure, so callers keep serving
 * tokens that are still valid and no connection is ever marked needs_reauth by an outage. The
 * scheduler reads `claimMode()` to pause claiming while a breaker is open.
 */
@Injectable()
export class IntuitCircuitBreaker implements TokenCallGate {
  private readonly logger = new Logger('QuickBooksAuth');
  private readonly breakers = new Map<IntuitEnvironment, EnvironmentBreaker>();
  /** Every state change, for tests and the bench (bounded). */
  readonly transitions: Array<{ environment: IntuitEnvironment; state: BreakerState; at: number }> = [];

  private readonly stateListeners: Array<(state: BreakerState) => void> = [];

  constructor(@Inject(QUICKBOOKS_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedQuickBooksAuthOptions) {}

  /** Called with the aggregate state after every change (RefreshStatus keeps it for health and metrics). */
  onStateChange(listener: (state: BreakerState) => void): void {
    this.stateListeners.push(listener);
  }

  async run<T>(call: () => Promise<T>, context: TokenCallContext): Promise<T> {
    const breaker = this.breakerFor(context.environment);
    try {
      return await breaker.policy.execute(() => call());
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new IntuitCallFailure('circuit_open', null, null, this.remainingOpenMs(breaker));
      }
      throw err;
    }
  }

  /** Aggregate state across environments (worst first), as health and metrics show it. */
  get state(): BreakerState {
    const states = [...this.breakers.values()].map((b) => b.state);
    if (states.includes('open')) return 'open';
    if (states.includes('half_open')) return 'half_open';
    return 'closed';
  }

  /**
   * Claiming pauses while a breaker is open; once its open period is over the scheduler claims
   * one connection, whose refresh is the half-open probe.
   */
  claimMode(now = Date.now()): ClaimMode {
    let mode: ClaimMode = 'normal';
    for (const b of this.breakers.values()) {
      if (b.state === 'half_open') mode = 'probe';
      if (b.state === 'open') {
        if (now - b.openedAt < this.options.scheduler.breakerHalfOpenSeconds * 1000) return 'paused';
        mode = 'probe';
      }
    }
    return mode;
  }

  private breakerFor(environment: IntuitEnvironment): EnvironmentBreaker {
    const b = this.breakers.get(environment);
    if (b) return b;
    const policy = circuitBreaker(
      // Only failures that say "Intuit is struggling" count; invalid_grant is about one connection.
      handleWhen((err) => err instanceof IntuitCallFailure && err.transient),
      {
        halfOpenAfter: this.options.scheduler.breakerHalfOpenSeconds * 1000,
        breaker: new ConsecutiveBreaker(this.options.scheduler.breakerConsecutiveFailures),
      },
    );
    const entry: EnvironmentBreaker = { policy, state: 'closed', openedAt: 0 };
    policy.onStateChange((s) => {
      const state = toBreakerState(s);
      if (state === 'open') entry.openedAt = Date.now();
      if (state === entry.state) return;
      entry.state = state;
      this.transitions.push({ environment, state, at: Date.now() });
      if (this.transitions.length > 1000) this.transitions.splice(0, this.transitions.length - 1000);
      for (const listener of this.stateListeners) listener(this.state);
      const line = `Intuit token endpoint circuit breaker (${environment}) is now ${state}`;
      if (state === 'closed') this.logger.log(line);
      else this.logger.warn(line);
    });
    this.breakers.set(environment, entry);
    return entry;
  }

  private remainingOpenMs(b: EnvironmentBreaker): number {
    const total = this.options.scheduler.breakerHalfOpenSeconds * 1000;
    return Math.max(250, Math.min(total, total - (Date.now() - b.openedAt)));
  }
}

function toBreakerState(s: CircuitState): BreakerState {
  switch (s) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half_open';
    default:
      return 'open'; // Open and Isolated
  }
}
