import { resolve } from 'node:path';
import { quickBooksOptionsFromEnv, type StorageOptions } from '@quickbooks-auth/nestjs';
import { ApiKeyRegistry } from '../auth/api-key.registry';
import { DEMO_CLIENT_ID, startDemoEmulator } from '../demo/demo-emulator';
import { loadOrCreateDemoSecrets } from '../demo/demo-secrets';
import { decideMode } from './demo-mode-decision';
import type { ExampleRuntime } from './example-runtime';
import { parseTrustProxy } from './trust-proxy';
import { preparePrivateSqliteFile } from './private-sqlite-file';

type Env = Record<string, string | undefined>;

export const DEMO_TENANT_ID = 'demo-tenant';

/**
 * Demo mode when QB_CLIENT_ID is unset and either EXAMPLE_DEMO=1 or NODE_ENV is not production
 * (decideMode): SQLite under ./data, the emulator in-process, generated secrets, listening on
 * loopback only. Otherwise live mode: QB_* come from the environment (quickBooksConfig) and
 * Intuit is real.
 */
export async function resolveRuntime(env: Env = process.env): Promise<ExampleRuntime> {
  const mode = decideMode(env);
  const port = parsePort(env.PORT);
  const publicUrl = (env.EXAMPLE_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  const apiKeys = ApiKeyRegistry.parse(env.EXAMPLE_API_KEYS);
  const common = {
    port,
    // The demo's /metrics, /health and generated key are for this machine only; HOST overrides.
    host: env.HOST || (mode === 'demo' ? '127.0.0.1' : undefined),
    trustProxy: parseTrustProxy(env.EXAMPLE_TRUST_PROXY),
    publicUrl,
    apiKeys,
    secureCookies: publicUrl.startsWith('https://'),
    logLevel: env.EXAMPLE_LOG_LEVEL || 'info',
  };
  return mode === 'live' ? liveRuntime(env, common) : demoRuntime(env, common);
}

type Common = Pick<ExampleRuntime, 'port' | 'host' | 'trustProxy' | 'publicUrl' | 'apiKeys' | 'secureCookies' | 'logLevel'>;

function liveRuntime(env: Env, common: Common): ExampleRuntime {
  // Fail before Nest boots, with every bad QB_* variable named (never its value).
  const options = quickBooksOptionsFromEnv(env);
  if (options.storage?.type === 'typeorm' && options.storage.sqlitePath) preparePrivateSqliteFile(options.storage.sqlitePath);
  const cookieSecret = env.EXAMPLE_COOKIE_SECRET ?? '';
  if (cookieSecret.length < 32) throw new Error('EXAMPLE_COOKIE_SECRET (at least 32 characters) is required when QB_CLIENT_ID is set');
  return {
    ...common,
    mode: 'live',
    quickBooksOptions: null,
    cookieSecret,
    demo: null,
  };
}

async function demoRuntime(env: Env, common: Common): Promise<ExampleRuntime> {
  const dataDir = resolve(env.EXAMPLE_DATA_DIR || 'data');
  const { secrets, path: secretsPath } = loadOrCreateDemoSecrets(dataDir);
  common.apiKeys.add(secrets.apiKey, DEMO_TENANT_ID);
  const redirectUri = `${common.publicUrl}/quickbooks/callback`;
  const emulator = await startDemoEmulator({
    clientSecret: secrets.clientSecret,
    redirectUris: [redirectUri],
    port: env.EXAMPLE_EMULATOR_PORT ? Number(env.EXAMPLE_EMULATOR_PORT) : undefined,
  });
  const { storage, sqlitePath } = demoStorage(env, dataDir);
  return {
    ...common,
    mode: 'demo',
    quickBooksOptions: {
      clientId: DEMO_CLIENT_ID,
      clientSecret: secrets.clientSecret,
      redirectUri,
      environment: 'sandbox',
      encryptionKeys: secrets.encryptionKeys,
      stateSecret: secrets.stateSecret,
      intuitBaseUrl: emulator.url,
      storage,
      reconnectUrl: `${common.publicUrl}/quickbooks/reconnect?realmId={realmId}`,
      // Emulator access tokens live 300 s: refresh 2 min ahead, hand out tokens good for 1 min.
      refreshLeadSeconds: 120,
      minValiditySeconds: 60,
      scheduler: { tickSeconds: 10 },
    },
    cookieSecret: secrets.cookieSecret,
    demo: { apiKey: secrets.apiKey, tenantId: DEMO_TENANT_ID, dataDir, secretsPath, sqlitePath, emulator },
  };
}

/** SQLite in the data dir unless QB_STORAGE explicitly asks for something else. */
function demoStorage(env: Env, dataDir: string): { storage: StorageOptions; sqlitePath: string | null } {
  if (env.QB_STORAGE === 'typeorm' && env.DATABASE_URL) return { storage: { type: 'typeorm', url: env.DATABASE_URL }, sqlitePath: null };
  if (env.QB_STORAGE === 'memory') return { storage: { type: 'memory' }, sqlitePath: null };
  const sqlitePath = env.QB_SQLITE_PATH ? resolve(env.QB_SQLITE_PATH) : resolve(dataDir, 'quickbooks.sqlite');
  preparePrivateSqliteFile(sqlitePath);
  return { storage: { type: 'typeorm', sqlitePath }, sqlitePath };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer 0..65535');
  return port;
}
