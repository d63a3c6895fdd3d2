import { Module, type DynamicModule, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  QUICKBOOKS_TOKEN_STORAGE,
  QuickBooksAuthModule,
  TokenService,
  type QuickBooksAuthModuleOptions,
  type StorageOptions,
  type TokenStorage,
} from '@quickbooks-auth/nestjs';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { TokenRefresher } from '@quickbooks-auth/nestjs/auth/refresh/token-refresher.service';
import { randomBytes } from 'node:crypto';

/** The Intuit app every bench and chaos process uses against its emulator. */
export const BENCH_CLIENT = {
  clientId: 'bench-client-id',
  clientSecret: 'bench-client-secret',
  redirectUri: 'http://localhost:3000/quickbooks/callback',
};

/** One key ring and state secret per run, shared by all its processes through the environment. */
export function benchSecrets(): { encryptionKeys: string; stateSecret: string } {
  process.env.BENCH_KEYS ??= `k1:${randomBytes(32).toString('base64')}`;
  process.env.BENCH_STATE_SECRET ??= randomBytes(32).toString('hex');
  return { encryptionKeys: process.env.BENCH_KEYS, stateSecret: process.env.BENCH_STATE_SECRET };
}

/** Only warnings and errors: a bench must not measure its own logging. */
class QuietLogger implements LoggerService {
  constructor(private readonly showWarnings: boolean) {}
  log(_message: unknown): void {}
  warn(message: unknown): void {
    if (this.showWarnings) process.stderr.write(`[warn] ${String(message)}\n`);
  }
  error(message: unknown): void {
    // The short chaos run inside `npm test` expects these (reauth after dropped rotations, store
    // outages) and judges by its checks, so it silences them with QB_QUIET_REPLICAS=1.
    if (process.env.QB_QUIET_REPLICAS !== '1') process.stderr.write(`[error] ${String(message)}\n`);
  }
}

export interface ModuleApp {
  app: INestApplicationContext;
  tokens: TokenService;
  refresher: TokenRefresher;
  storage: TokenStorage;
  scheduler: RefreshScheduler;
  close(): Promise<void>;
}

/**
 * Boots QuickBooksAuthModule the way a host does (a plain application context, the host's
 * ScheduleModule.forRoot() when the scheduler runs) pointed at an emulator.
 */
export async function startModuleApp(params: {
  emulatorUrl: string;
  storage: StorageOptions;
  clockNow?: () => number;
  options?: Partial<QuickBooksAuthModuleOptions>;
  verbose?: boolean;
}): Promise<ModuleApp> {
  const options: QuickBooksAuthModuleOptions = {
    ...BENCH_CLIENT,
    ...benchSecrets(),
    intuitBaseUrl: params.emulatorUrl,
    storage: params.storage,
    reconnectUrl: 'http://localhost:3000/quickbooks/connect?realm={realmId}',
    scheduler: { enabled: false },
    ...(params.clockNow ? { clock: { now: params.clockNow } } : {}),
    ...params.options,
  };
  const imports: DynamicModule[] = [QuickBooksAuthModule.forRoot(options)];
  if (options.scheduler?.enabled) imports.unshift(ScheduleModule.forRoot());
  @Module({ imports })
  class BenchHostModule {}
  const app = await NestFactory.createApplicationContext(BenchHostModule, {
    logger: new QuietLogger(params.verbose ?? false),
    abortOnError: false,
  });
  await app.init();
  return {
    app,
    tokens: app.get(TokenService),
    refresher: app.get(TokenRefresher),
    storage: app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE),
    scheduler: app.get(RefreshScheduler),
    close: () => app.close(),
  };
}
