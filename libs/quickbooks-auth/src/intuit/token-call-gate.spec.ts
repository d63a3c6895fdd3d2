import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { IntuitCallFailure } from './intuit-call-failure';
import { IntuitCircuitBreaker } from './intuit-circuit-breaker.service';
import { nestGates, type TokenCallGate } from './token-call-gate';
import { TokenCallRateLimiter } from './token-call-rate-limiter';

const options = { scheduler: { breakerHalfOpenSeconds: 30, breakerConsecutiveFailures: 2 } } as unknown as ResolvedQuickBooksAuthOptions;
const sandbox = { environment: 'sandbox' as const };

describe('the token-call gate (breaker outside, rate limit inside)', () => {
  let breaker: IntuitCircuitBreaker;
  let limiter: TokenCallRateLimiter;
  let reserved: number;
  let gate: TokenCallGate;

  beforeEach(() => {
    breaker = new IntuitCircuitBreaker(options);
    limiter = new TokenCallRateLimiter(1_000, 1_000);
    reserved = 0;
    const reserve = limiter.reserve.bind(limiter);
    limiter.reserve = () => {
      reserved++;
      return reserve();
    };
    gate = nestGates(breaker, limiter);
  });

  it('runs an admitted call inside both, and a call the open breaker refuses takes no rate-limit slot', async () => {
    await expect(gate.run(async () => 'ok', sandbox)).resolves.toBe('ok');
    expect(reserved).toBe(1);
    const outage = () => Promise.reject(new IntuitCallFailure('server_error', 503, null));
    await expect(gate.run(outage, sandbox)).rejects.toMatchObject({ kind: 'server_error' });
    await expect(gate.run(outage, sandbox)).rejects.toMatchObject({ kind: 'server_error' });
    expect(breaker.state).toBe('open');
    expect(reserved).toBe(3);

    let ran = false;
    const refused = gate.run(async () => (ran = true), sandbox);
    await expect(refused).rejects.toMatchObject({ kind: 'circuit_open', transient: true });
    expect(ran).toBe(false);
    expect(reserved).toBe(3);
  });

  it('counts only transient Intuit failures: a refusal thrown inside the gate (nothing sent) never opens it', async () => {
    const refusal = () => Promise.reject(new Error('token call not sent: lease_lost'));
    for (let i = 0; i < 5; i++) await expect(gate.run(refusal, sandbox)).rejects.toThrow('lease_lost');
    const grant = () => Promise.reject(new IntuitCallFailure('invalid_grant', 400, null));
    for (let i = 0; i < 5; i++) await expect(gate.run(grant, sandbox)).rejects.toMatchObject({ kind: 'invalid_grant' });
    expect(breaker.state).toBe('closed');
  });

  it('keeps one breaker per Intuit environment', async () => {
    const outage = () => Promise.reject(new IntuitCallFailure('server_error', 503, null));
    await gate.run(outage, sandbox).catch(() => undefined);
    await gate.run(outage, sandbox).catch(() => undefined);
    await expect(gate.run(async () => 'prod', { environment: 'production' })).resolves.toBe('prod');
  });
});
