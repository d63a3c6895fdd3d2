/**
 * The files of the throwaway Nest app the consumer suite installs the tarballs into: what a new
 * user writes after reading the package README (sync `forRoot`, the connect flow in a controller,
 * the exported QBO client), compiled by the app's own TypeScript with `skipLibCheck: false`.
 */
export const CONSUMER_MAIN_TS = `
import 'reflect-metadata';
import { Controller, Get, Module, Param, Query, Redirect } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  ConnectService,
  QuickBooksApiClient,
  QuickBooksAuthExceptionFilter,
  QuickBooksAuthModule,
  TokenService,
  type CallbackQuery,
} from '@quickbooks-auth/nestjs';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(name + ' is not set');
  return value;
}

// One signed-in tenant: a real app takes it from the session, never from the request.
const TENANT = 'tenant-consumer';

@Controller()
class QuickBooksController {
  constructor(
    private readonly connect: ConnectService,
    private readonly tokens: TokenService,
    private readonly qbo: QuickBooksApiClient,
  ) {}

  @Get('connect')
  @Redirect()
  async start(): Promise<{ url: string }> {
    const { url } = await this.connect.createAuthorizeUrl({ tenantId: TENANT });
    return { url };
  }

  @Get('callback')
  async callback(@Query() query: CallbackQuery): Promise<{ realmId: string; status: string }> {
    const { connection } = await this.connect.handleCallback({ query, expectedTenantId: TENANT });
    const summary = await this.tokens.getConnection({ tenantId: TENANT, realmId: connection.realmId });
    return { realmId: connection.realmId, status: summary.status };
  }

  @Get('company/:realmId')
  async company(@Param('realmId') realmId: string): Promise<{ companyName: string }> {
    const info = await this.qbo.getCompanyInfo({ tenantId: TENANT, realmId });
    return { companyName: info.CompanyName };
  }
}

@Module({
  imports: [
    ScheduleModule.forRoot(),
    QuickBooksAuthModule.forRoot({
      clientId: env('QB_CLIENT_ID'),
      clientSecret: env('QB_CLIENT_SECRET'),
      redirectUri: env('QB_REDIRECT_URI'),
      environment: 'sandbox',
      intuitBaseUrl: env('QB_INTUIT_BASE_URL'),
      encryptionKeys: env('QB_ENCRYPTION_KEYS'),
      stateSecret: env('QB_STATE_SECRET'),
      storage: { type: 'typeorm', url: env('DATABASE_URL') },
    }),
  ],
  controllers: [QuickBooksController],
  providers: [{ provide: APP_FILTER, useClass: QuickBooksAuthExceptionFilter }],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
  process.stdout.write('consumer app listening on ' + (await app.getUrl()) + '\\n');
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\\n');
  process.exit(1);
});
`;

export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2023',
    outDir: 'dist',
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
  },
  files: ['src/main.ts'],
};
