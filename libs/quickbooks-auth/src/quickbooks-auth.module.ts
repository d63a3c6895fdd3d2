import { HttpModule } from '@nestjs/axios';
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QuickBooksHealthController } from './health/quickbooks-health.controller';
import { quickBooksHealthProviders } from './health/quickbooks-health.providers';
import { QuickBooksHealthIndicator } from './health/quickbooks.health';
import { quickBooksMetricProviders } from './metrics/quickbooks-metrics.providers';
import {
  QuickBooksAuthConfigurableModule,
  QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE,
  QUICKBOOKS_AUTH_OPTIONS_TYPE,
} from './quickbooks-auth-module-definition';
import { quickBooksAuthExports, quickBooksAuthProviders } from './quickbooks-auth.providers';
import { refreshSchedulerExports, refreshSchedulerProviders } from './auth/refresh-scheduler/refresh-scheduler.providers';
import { apiGovernorExports, apiGovernorProviders } from './governor/api-governor.providers';

/**
 * QuickBooks Online OAuth 2.0 connections for multi-tenant apps.
 *
 * The host imports `ScheduleModule.forRoot()` (proactive refresh) and, if it wants events,
 * `EventEmitterModule.forRoot()`; this module never calls a global forRoot itself, or jobs and
 * events would fire twice.
 * @publicApi
 */
@Module({})
export class QuickBooksAuthModule extends QuickBooksAuthConfigurableModule {
  /** Static options, plus the extras `isGlobal` (default true) and `registerHealthController` (default false). Validated at startup. */
  static forRoot(options: typeof QUICKBOOKS_AUTH_OPTIONS_TYPE): DynamicModule {
    return QuickBooksAuthModule.withParts(super.forRoot(options), options.registerHealthController);
  }

  /** Options from a factory (`useFactory`/`inject`/`imports`, or `...quickBooksConfig.asProvider()`), plus the same extras. */
  static forRootAsync(options: typeof QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return QuickBooksAuthModule.withParts(super.forRootAsync(options), options.registerHealthController);
  }

  private static withParts(base: DynamicModule, registerHealthController = false): DynamicModule {
    return {
      ...base,
      // TerminusModule is not global: importing it here cannot clash with the host's own.
      imports: [...(base.imports ?? []), HttpModule.register({}), TerminusModule],
      controllers: [...(base.controllers ?? []), ...(registerHealthController ? [QuickBooksHealthController] : [])],
      providers: [
        ...(base.providers ?? []),
        ...quickBooksAuthProviders,
        ...refreshSchedulerProviders,
        ...quickBooksHealthProviders,
        ...quickBooksMetricProviders,
        ...apiGovernorProviders,
      ],
      exports: [
        ...(base.exports ?? []),
        ...quickBooksAuthExports,
        ...refreshSchedulerExports,
        QuickBooksHealthIndicator,
        ...apiGovernorExports,
      ],
    };
  }
}
