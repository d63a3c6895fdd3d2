import { decideMode } from './demo-mode-decision';

describe('decideMode: demo mode only when asked or outside production (issue 14, finding 6)', () => {
  it('is demo outside production without QB_CLIENT_ID, live with it', () => {
    expect(decideMode({})).toBe('demo');
    expect(decideMode({ NODE_ENV: 'development' })).toBe('demo');
    expect(decideMode({ QB_CLIENT_ID: 'abc', NODE_ENV: 'production' })).toBe('live');
  });

  it('refuses a production start without QB_CLIENT_ID, naming only the missing variables', () => {
    const secret = 'cookie-secret-value-that-must-not-appear-0123';
    let message = '';
    try {
      decideMode({ NODE_ENV: 'production', EXAMPLE_COOKIE_SECRET: secret, QB_STATE_SECRET: secret });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('Missing: QB_CLIENT_ID, QB_CLIENT_SECRET, QB_REDIRECT_URI, QB_ENCRYPTION_KEYS, EXAMPLE_API_KEYS.');
    expect(message).not.toContain(secret);
    expect(message).not.toContain('QB_STATE_SECRET');
  });

  it('runs the demo in production only with EXAMPLE_DEMO=1, and never together with QB_CLIENT_ID', () => {
    expect(decideMode({ NODE_ENV: 'production', EXAMPLE_DEMO: '1' })).toBe('demo');
    expect(() => decideMode({ EXAMPLE_DEMO: '1', QB_CLIENT_ID: 'abc' })).toThrow(/both set/);
  });
});
