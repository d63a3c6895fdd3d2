import { Test } from '@nestjs/testing';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import {
  ConnectService,
  QUICKBOOKS_TOKEN_STORAGE,
  QuickBooksAuthModule,
  TokenService,
  type QuickBooksAuthModuleOptions,
  type StorageOptions,
  type TokenStorage,
} from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { LogCapture } from './log-capture';
import { TEST_CLIENT, testKeyRing, testStateSecret } from './test-keys';

export interface Harness {
  emulator: RunningEmulator;
  app: INestApplication;
  tokens: TokenService;
  connect: ConnectService;
  storage: TokenStorage;
  logs: LogCapture;
  options: QuickBooksAuthModuleOptions;
  close(): Promise<void>;
}

/**
 * A Nest app with QuickBooksAuthModule pointed at a fresh emulator over real HTTP. The app's
 * clock follows the emulator's, so advancing the emulator clock ages tokens on both sides.
 */
export async function startHarness(params: {
  storage: StorageOptions;
  options?: Partial<QuickBooksAuthModuleOptions>;
  emulator?: RunningEmulator;
  logs?: LogCapture;
  /** Host modules next to QuickBooksAuthModule (EventEmitterModule.forRoot(), ...). */
  imports?: ModuleMetadata['imports'];
}): Promise<Harness> {
  const emulator = params.emulator ?? (await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] }));
  const logs = params.logs ?? new LogCapture();
  const options: QuickBooksAuthModuleOptions = {
    ...TEST_CLIENT,
    encryptionKeys: testKeyRing('k1'),
    stateSecret: testStateSecret(),
    intuitBaseUrl: emulator.url,
    storage: params.storage,
    reconnectUrl: 'http://localhost:3000/quickbooks/connect?realm={realmId}',
    clock: { now: () => emulator.state.clock.now() },
    scheduler: { enabled: false },
    ...params.options,
  };
  const moduleRef = await Test.createTestingModule({ imports: [...(params.imports ?? []), QuickBooksAuthModule.forRoot(options)] })
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication({ logger: logs });
  await app.init();
  return {
    emulator,
    app,
    tokens: app.get(TokenService),
    connect: app.get(ConnectService),
    storage: app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE),
    logs,
    options,
    close: async () => {
      await app.close();
      if (!params.emulator) await emulator.close();
    },
  };
}

/** Follows the emulator's authorize redirect (auto-approve on) and returns the callback query. */
export async function approveAtEmulator(h: Harness, authorizeUrl: string, realmId?: string): Promise<Record<string, string>> {
  h.emulator.state.setAutoApprove(true, realmId);
  const res = await fetch(authorizeUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize did not redirect (HTTP ${res.status})`);
  return Object.fromEntries(new URL(location).searchParams);
}

/** Connects `tenantId` to a new (or given) realm through the real flow; returns the realm id. */
export async function connectTenant(h: Harness, tenantId: string, realmId?: string): Promise<string> {
  const { url } = await h.connect.createAuthorizeUrl({ tenantId });
  const query = await approveAtEmulator(h, url, realmId);
  const result = await h.connect.handleCallback({ query, expectedTenantId: tenantId });
  return result.connection.realmId;
}
