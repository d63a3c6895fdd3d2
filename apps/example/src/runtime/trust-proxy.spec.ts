import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it('trusts no proxy by default, so X-Forwarded-For cannot pick the client IP', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
  });

  it('takes hop counts and Express subnet names', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
    expect(parseTrustProxy('true')).toBe(true);
  });

  it('refuses anything else', () => {
    expect(() => parseTrustProxy('loopback; rm -rf')).toThrow(/EXAMPLE_TRUST_PROXY/);
  });
});
