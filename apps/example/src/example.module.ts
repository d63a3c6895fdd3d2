import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { DemoModule } from './demo/demo.module';
import { pinoParams } from './logging/pino-http.options';
import { PageModule } from './page/page.module';
import { HttpErrorFilter } from './quickbooks/http-error.filter';
import { quickBooksAuthImport } from './quickbooks/quickbooks-auth.import';
import { QuickBooksRoutesModule } from './quickbooks/quickbooks-routes.module';
import type { ExampleRuntime } from './runtime/example-runtime';
import { RuntimeModule } from './runtime/runtime.module';

/**
 * The host app. It owns the global singletons the library must not create itself (scheduler,
 * event bus, logger, Prometheus registry), so jobs and events fire exactly once.
 */
@Module({})
export class ExampleModule {
  static forRoot(runtime: ExampleRuntime): DynamicModule {
    return {
      module: ExampleModule,
      imports: [
        RuntimeModule.forRoot(runtime),
        // .env is loaded by main.ts before the mode is decided; ConfigModule only serves process.env.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
        ScheduleModule.forRoot(),
        EventEmitterModule.forRoot(),
        LoggerModule.forRoot(pinoParams(runtime.logLevel, runtime.logDestination)),
        PrometheusModule.register(),
        TerminusModule,
        quickBooksAuthImport(runtime),
        AuthModule,
        QuickBooksRoutesModule,
        PageModule,
        ...(runtime.demo ? [DemoModule] : []),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
