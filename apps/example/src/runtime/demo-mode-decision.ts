type Env = Record<string, string | undefined>;

/** What a live (non-demo) start needs; listed by name when a production start would fall back to demo. */
export const LIVE_REQUIRED_VARIABLES = [
  'QB_CLIENT_ID',
  'QB_CLIENT_SECRET',
  'QB_REDIRECT_URI',
  'QB_ENCRYPTION_KEYS',
  'QB_STATE_SECRET',
  'EXAMPLE_API_KEYS',
  'EXAMPLE_COOKIE_SECRET',
] as const;

/**
 * Demo mode only when asked (EXAMPLE_DEMO=1) or outside production: a production deploy that lost
 * QB_CLIENT_ID must not quietly start an emulator with generated secrets next to the production
 * database and API keys. Throws naming the missing variables, never a value.
 */
export function decideMode(env: Env): 'demo' | 'live' {
  const demoAsked = env.EXAMPLE_DEMO === '1' || env.EXAMPLE_DEMO === 'true';
  if (demoAsked && env.QB_CLIENT_ID)
    throw new Error(
      'EXAMPLE_DEMO=1 and QB_CLIENT_ID are both set: unset one (demo mode uses the in-process emulator, QB_CLIENT_ID real Intuit)',
    );
  if (env.QB_CLIENT_ID) return 'live';
  if (demoAsked || env.NODE_ENV !== 'production') return 'demo';
  const missing = LIVE_REQUIRED_VARIABLES.filter((name) => !env[name]);
  throw new Error(
    `NODE_ENV=production and QB_CLIENT_ID is not set: refusing to start in demo mode. Missing: ${missing.join(', ')}. ` +
      'Set them for live Intuit, or EXAMPLE_DEMO=1 to run the demo on purpose.',
  );
}
