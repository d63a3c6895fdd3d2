import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { QuickBooksAuthModuleOptions } from './interfaces/quickbooks-auth-options.interface';
import { QUICKBOOKS_AUTH_MODULE_OPTIONS } from './quickbooks-auth.constants';

/** Static extras: needed when the module is imported, before options resolve. */
export interface QuickBooksAuthModuleExtras {
  /** Make TokenService and friends available everywhere (default true). */
  isGlobal?: boolean;
  /** Mount `GET /health/quickbooks` (default false: compose QuickBooksHealthIndicator yourself). */
  registerHealthController?: boolean;
}

export const {
  ConfigurableModuleClass: QuickBooksAuthConfigurableModule,
  OPTIONS_TYPE: QUICKBOOKS_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<QuickBooksAuthModuleOptions>({ optionsInjectionToken: QUICKBOOKS_AUTH_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createQuickBooksAuthOptions')
  .setExtras<QuickBooksAuthModuleExtras>({ isGlobal: true, registerHealthController: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
