import { FaultRegistry } from './faults';

describe('FaultRegistry', () => {
  it('matches by endpoint and grant type, consumes counts, and expires rules', () => {
    const faults = new FaultRegistry();
    const rule = faults.add({ endpoint: 'token', type: 'status', status: 503, count: 2, grantType: 'refresh_token' });
    faults.add({ endpoint: 'revoke', type: 'reset' });
    expect(faults.select('token', 'authorization_code')).toHaveLength(0);
    expect(faults.select('token', 'refresh_token')).toEqual([rule]);
    expect(faults.consume(rule)).toBe(true);
    expect(faults.consume(rule)).toBe(true);
    expect(faults.consume(rule)).toBe(false);
    expect(faults.list().map((r) => r.endpoint)).toEqual(['revoke']);
  });

  it('"*" matches every protocol endpoint and probability 0 never fires', () => {
    const faults = new FaultRegistry();
    faults.add({ endpoint: '*', type: 'html' });
    faults.add({ endpoint: '*', type: 'reset', probability: 0 });
    expect(faults.select('companyinfo')).toHaveLength(1);
  });

  it('rejects malformed rules', () => {
    const faults = new FaultRegistry();
    expect(() => faults.add({ endpoint: 'token', type: 'boom' as never })).toThrow(/type/);
    expect(() => faults.add({ endpoint: 'token', type: 'latency', latencyMs: -1 })).toThrow(/latencyMs/);
  });
});
