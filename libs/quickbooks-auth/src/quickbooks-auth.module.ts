import { HttpModule } from '@nestjs/axios';
import { Module, type DynamicModule } from '@nestjs/common';
import {
  QuickBooksAuthConfigurableModule,
  QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE,
  QUICKBOOKS_AUTH_OPTIONS_TYPE,
} from './quickbooks-auth-module-definition';
import { quickBooksAuthExports, quickBooksAuthProviders } from './quickbooks-auth.providers';

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
  static forRoot(options: typeof QUICKBOOKS_AUTH_OPTIONS_TYPE): DynamicModule {
    return QuickBooksAuthModule.withParts(super.forRoot(options), options.registerHealthController);
  }

  static forRootAsync(options: typeof QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return QuickBooksAuthModule.withParts(super.forRootAsync(options), options.registerHealthController);
  }

  private static withParts(base: DynamicModule, registerHealthController = false): DynamicModule {
    void registerHealthController; // the health controller is added with the health/ folder
    return {
      ...base,
      imports: [...(base.imports ?? []), HttpModule.register({})],
      providers: [...(base.providers ?? []), ...quickBooksAuthProviders],
      exports: [...(base.exports ?? []), ...quickBooksAuthExports],
    };
  }
}
