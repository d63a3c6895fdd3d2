import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { startIntuitEmulator, type EmulatorOptions, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { randomBytes } from 'node:crypto';
import type { ConnectionRef } from '../domain/connection.interface';
import { ConnectService } from '../auth/connect/connect.service';
import type { TokenStorage } from '../auth/storage/token-storage.interface';
import { TokenService } from '../auth/token.service';
import type { QuickBooksAuthModuleOptions } from '../interfaces/quickbooks-auth-options.interface';
import type { StorageOptions } from '../auth/storage/storage-options.interface';
import { QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import { QuickBooksAuthModule } from '../quickbooks-auth.module';
import { RecordingLogger } from './recording-logger';

/** What `createQuickBooksTestingModule` accepts; every field is optional. */
export interface QuickBooksTestingOptions {
  /** Where connections are stored (default `{ type: 'memory' }`). */
  storage?: StorageOptions;
  /**
   * Module options on top of the test defaults: fresh client credentials, key ring and state
   * secret, `intuitBaseUrl` = the emulator, the emulator's clock, no scheduler.
   */
  options?: Partial<QuickBooksAuthModuleOptions>;
  /** An emulator you started (`startIntuitEmulator()`), shared between suites; `close()` leaves it running. */
  emulator?: RunningEmulator;
  /** Options of the emulator started here, when `emulator` is not given. */
  emulatorOptions?: EmulatorOptions;
  /** Tenant connected to a new realm through the consent flow before this returns (default `test-tenant`); `false` for none. */
  connectTenant?: string | false;
  /** Your own modules under test, beside QuickBooksAuthModule. */
  imports?: ModuleMetadata['imports'];
  /** Your own providers under test. */
  providers?: ModuleMetadata['providers'];
  /** Where the app logs (default a RecordingLogger: kept in memory, printed with QB_TEST_LOGS=1). */
  logger?: RecordingLogger;
}

/** A running Nest app with QuickBooksAuthModule pointed at an in-process Intuit emulator. */
export interface QuickBooksTesting {
  moduleRef: TestingModule;
  /** Initialized (not listening): `app.getHttpServer()` works with supertest. */
  app: INestApplication;
  emulator: RunningEmulator;
  /** The options the module runs on (secrets included: keep them out of snapshots). */
  options: QuickBooksAuthModuleOptions;
  tokens: TokenService;
  connect: ConnectService;
  storage: TokenStorage;
  /** Everything the app logged. */
  logs: RecordingLogger;
  /** The realm connected at start, or null with `connectTenant: false`. */
  realm: ConnectionRef | null;
  /** Connects `tenantId` through the real consent flow (auto-approved at the emulator), to a new realm or `realmId`. */
  connectRealm(tenantId: string, realmId?: string): Promise<ConnectionRef>;
  /** Closes the app, then the emulator if it was started here. */
  close(): Promise<void>;
}

const REDIRECT_URI = 'http://localhost:3000/quickbooks/callback';

/**
 * Boots QuickBooksAuthModule in a Nest testing module against an Intuit emulator started in this
 * process, and connects a realm through the real authorize → consent → callback flow. The app's
 * clock is the emulator's: `emulator.state.clock.advance(seconds)` ages tokens on both sides.
 *
 * ```ts
 * const qb = await createQuickBooksTestingModule({ providers: [CompanyInfoService] });
 * const name = await qb.app.get(CompanyInfoService).companyName(qb.realm!.tenantId, qb.realm!.realmId);
 * await qb.close();
 * ```
 */
export async function createQuickBooksTestingModule(params: QuickBooksTestingOptions = {}): Promise<QuickBooksTesting> {
  const client = {
    clientId: `test-client-${randomBytes(4).toString('hex')}`,
    clientSecret: randomBytes(24).toString('base64url'),
    redirectUri: REDIRECT_URI,
  };
  const emulator =
    params.emulator ??
    (await startIntuitEmulator({
      ...params.emulatorOptions,
      clients: [...(params.emulatorOptions?.clients ?? []), { ...client, redirectUris: [REDIRECT_URI] }],
    }));
  if (params.emulator && !params.options?.clientId) emulator.state.registerClient({ ...client, redirectUris: [REDIRECT_URI] });
  const logs = params.logger ?? new RecordingLogger();
  const options: QuickBooksAuthModuleOptions = {
    ...client,
    encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
    stateSecret: randomBytes(32).toString('base64url'),
    intuitBaseUrl: emulator.url,
    storage: params.storage ?? { type: 'memory' },
    clock: { now: () => emulator.state.clock.now() },
    scheduler: { enabled: false },
    ...params.options,
  };
  let moduleRef: TestingModule | undefined;
  let app: INestApplication | undefined;
  try {
    moduleRef = await Test.createTestingModule({
      imports: [QuickBooksAuthModule.forRoot(options), ...(params.imports ?? [])],
      providers: params.providers ?? [],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication({ logger: logs });
    await app.init();
  } catch (err) {
    await app?.close().catch(() => undefined);
    if (!params.emulator) await emulator.close();
    throw err;
  }
  const connect = app.get(ConnectService);
  const connectRealm = async (tenantId: string, realmId?: string): Promise<ConnectionRef> => {
    const { url } = await connect.createAuthorizeUrl({ tenantId });
    emulator.state.setAutoApprove(true, realmId);
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`the emulator did not redirect back from consent (HTTP ${res.status})`);
    const result = await connect.handleCallback({ query: Object.fromEntries(new URL(location).searchParams), expectedTenantId: tenantId });
    return { tenantId, realmId: result.connection.realmId };
  };
  const tenant = params.connectTenant === undefined ? 'test-tenant' : params.connectTenant;
  const started = app;
  const close = async (): Promise<void> => {
    await started.close();
    if (!params.emulator) await emulator.close();
  };
  let realm: ConnectionRef | null = null;
  try {
    if (tenant !== false) realm = await connectRealm(tenant);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return {
    moduleRef,
    app,
    emulator,
    options,
    tokens: app.get(TokenService),
    connect,
    storage: app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE),
    logs,
    realm,
    connectRealm,
    close,
  };
}
