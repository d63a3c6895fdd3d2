import type { ExampleRuntime } from '../runtime/example-runtime';

/** What `npm start` prints: where to go, how to log in, how to leave demo mode. */
export function demoBanner(runtime: ExampleRuntime): string {
  const demo = runtime.demo;
  if (!demo) return `quickbooks-auth example (live Intuit, ${process.env.QB_ENVIRONMENT || 'sandbox'}) listening on ${runtime.publicUrl}`;
  const line = '─'.repeat(76);
  return [
    line,
    `  quickbooks-auth example — DEMO MODE (QB_CLIENT_ID is not set), listening on ${runtime.host ?? '0.0.0.0'}:${runtime.port}`,
    line,
    `  Open             ${runtime.publicUrl}/`,
    `  Demo API key     ${demo.apiKey}   (tenant "${demo.tenantId}")`,
    `  Try              curl -H 'x-api-key: ${demo.apiKey}' ${runtime.publicUrl}/quickbooks/connections`,
    `  Intuit           in-process emulator at ${demo.emulator.url} (5 min access tokens, 15 min rotation)`,
    `  Storage          ${demo.sqlitePath ? `SQLite ${demo.sqlitePath}` : 'from QB_STORAGE'}`,
    `  Secrets          ${demo.secretsPath} (generated once, mode 0600; delete data/ to start over)`,
    `  Health, metrics  ${runtime.publicUrl}/health/quickbooks  ${runtime.publicUrl}/metrics`,
    '',
    '  Real Intuit: set QB_CLIENT_ID, QB_CLIENT_SECRET, QB_REDIRECT_URI (…/quickbooks/callback),',
    '  QB_ENVIRONMENT (sandbox|production), QB_ENCRYPTION_KEYS, QB_STATE_SECRET, EXAMPLE_API_KEYS and',
    '  EXAMPLE_COOKIE_SECRET. MySQL: QB_STORAGE=typeorm DATABASE_URL=mysql://user:pass@host:3306/db.',
    '  With NODE_ENV=production the demo starts only with EXAMPLE_DEMO=1. HOST changes the interface.',
    '  See .env.example.',
    line,
  ].join('\n');
}
