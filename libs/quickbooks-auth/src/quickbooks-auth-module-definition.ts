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

const moduleDefinition = new ConfigurableModuleBuilder<QuickBooksAuthModuleOptions>({
  optionsInjectionToken: QUICKBOOKS_AUTH_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createQuickBooksAuthOptions')
  .setExtras<QuickBooksAuthModuleExtras>({ isGlobal: true, registerHealthController: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

export const QuickBooksAuthConfigurableModule = moduleDefinition.ConfigurableModuleClass;
/** A type carrier, never a value: `typeof QUICKBOOKS_AUTH_OPTIONS_TYPE` is what `forRoot` takes (options and extras). */
export const QUICKBOOKS_AUTH_OPTIONS_TYPE = moduleDefinition.OPTIONS_TYPE;
/** A type carrier, never a value: `typeof QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE` is what `forRootAsync` takes. */
export const QUICKBOOKS_AUTH_ASYNC_OPTIONS_TYPE = moduleDefinition.ASYNC_OPTIONS_TYPE;
