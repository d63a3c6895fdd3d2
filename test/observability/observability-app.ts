import { Controller, Get, Headers, Module, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule, Logger as PinoNestLogger } from 'nestjs-pino';
import { Writable } from 'node:stream';
import {
  ConnectService,
  QUICKBOOKS_TOKEN_STORAGE,
  QuickBooksAuthModule,
  TokenService,
  quickBooksPinoHttpOptions,
  type QuickBooksAuthModuleOptions,
  type TokenStorage,
} from '@quickbooks-auth/nestjs';
import { RefreshStatus } from '@quickbooks-auth/nestjs/auth/refresh/refresh-status.service';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { LogCapture } from '../support/log-capture';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

/** Everything pino writes, kept in memory. */
export class BufferDestination extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    done();
  }
  text(): string {
    return this.chunks.join('');
  }
  /** Parsed JSON lines. */
  records(): Array<Record<string, unknown>> {
    return this.text()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** Host routes as an app would write them, so pino-http logs real callback URLs and bearer headers. */
@Controller('quickbooks')
class HostQuickBooksController {
  constructor(
    private readonly connect: ConnectService,
    private readonly tokens: TokenService,
  ) {}

  @Get('callback')
  async callback(@Query() query: Record<string, string>): Promise<{ realmId: string }> {
    const result = await this.connect.handleCallback({ query, expectedTenantId: 'tenant-obs' });
    return { realmId: result.connection.realmId };
  }

  /** Echoes nothing secret back; it exists so a request carrying a bearer token gets logged. */
  @Get('ping')
  ping(@Headers('authorization') auth: string | undefined): { ok: boolean } {
    return { ok: Boolean(auth) };
  }
}

export interface ObservabilityApp {
  app: INestApplication;
  emulator: RunningEmulator;
  pino: BufferDestination;
  nest: LogCapture;
  options: QuickBooksAuthModuleOptions;
  tokens: TokenService;
  connect: ConnectService;
  storage: TokenStorage;
  status: RefreshStatus;
  close(): Promise<void>;
}

/**
 * A host app as docs/monitoring.md recommends: nestjs-pino with the module's redaction helper,
 * PrometheusModule.register() serving /metrics, and the opt-in health controller.
 */
export async function startObservabilityApp(extra: Partial<QuickBooksAuthModuleOptions> = {}): Promise<ObservabilityApp> {
  const emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
  const pino = new BufferDestination();
  const nest = new LogCapture();
  const options: QuickBooksAuthModuleOptions = {
    ...TEST_CLIENT,
    encryptionKeys: testKeyRing('k1'),
    stateSecret: testStateSecret(),
    intuitBaseUrl: emulator.url,
    storage: { type: 'memory' },
    reconnectUrl: 'http://localhost:3000/quickbooks/connect?realm={realmId}',
    clock: { now: () => emulator.state.clock.now() },
    scheduler: { enabled: false },
    hashRealmIdsInLogs: true,
    ...extra,
  };

  @Module({
    imports: [
      LoggerModule.forRoot({ pinoHttp: [quickBooksPinoHttpOptions({ level: 'trace' }), pino] }),
      PrometheusModule.register(),
      QuickBooksAuthModule.forRoot({ ...options, registerHealthController: true }),
    ],
    controllers: [HostQuickBooksController],
  })
  class HostModule {}

  const moduleRef = await Test.createTestingModule({ imports: [HostModule] })
    .setLogger(nest)
    .compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  app.useLogger(app.get(PinoNestLogger));
  await app.init();
  return {
    app,
    emulator,
    pino,
    nest,
    options,
    tokens: app.get(TokenService),
    connect: app.get(ConnectService),
    storage: app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE),
    status: app.get(RefreshStatus),
    close: async () => {
      await app.close();
      await emulator.close();
    },
  };
}
