import 'reflect-metadata';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { quickBooksOptionsFromEnv } from '../config/quickbooks.config';
import { ConfigurationError } from '../errors/configuration.error';
import type { QuickBooksAuthModuleOptions } from '../interfaces/quickbooks-auth-options.interface';
import { QuickBooksAuthModule } from '../quickbooks-auth.module';
import { CliUsageError } from './cli-usage.error';

/** The module as the app configures it from its environment, for maintenance commands. */
export interface ConfiguredModule {
  app: INestApplicationContext;
  options: QuickBooksAuthModuleOptions;
}

/**
 * Boots QuickBooksAuthModule from the same variables as the app (quickBooksOptionsFromEnv), with
 * no scheduler and no start-up migrations: a maintenance command reads and writes connections and
 * never refreshes one or changes the schema. A missing or bad variable is a CliUsageError naming it.
 */
export async function openConfiguredModule(env: NodeJS.ProcessEnv): Promise<ConfiguredModule> {
  let options: QuickBooksAuthModuleOptions;
  try {
    const fromEnv = quickBooksOptionsFromEnv(env);
    const storage = fromEnv.storage.type === 'typeorm' ? { ...fromEnv.storage, migrationsRun: false } : fromEnv.storage;
    options = { ...fromEnv, storage, scheduler: { ...fromEnv.scheduler, enabled: false } };
  } catch (err) {
    if (err instanceof ConfigurationError) throw new CliUsageError(err.message);
    throw err;
  }
  @Module({ imports: [QuickBooksAuthModule.forRoot(options)] })
  class QuickBooksMaintenanceModule {}
  const app = await NestFactory.createApplicationContext(QuickBooksMaintenanceModule, { logger: warningsToStderr(), abortOnError: false });
  return { app, options };
}

/** Warnings and errors on stderr (stdout stays clean for `--json`), routine logs dropped. */
function warningsToStderr(): LoggerService {
  const write = (level: string, message: unknown, context: unknown[]): void => {
    const where = typeof context[context.length - 1] === 'string' ? ` [${String(context[context.length - 1])}]` : '';
    process.stderr.write(`${level}${where} ${message instanceof Error ? message.message : String(message)}\n`);
  };
  return {
    log: () => undefined,
    warn: (message, ...context) => write('warn', message, context),
    error: (message, ...context) => write('error', message, context),
  };
}
