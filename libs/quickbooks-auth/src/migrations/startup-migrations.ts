import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { runQuickBooksMigrations } from './run-migrations';

/** What start-up logging needs (Nest's Logger, which is pino when the host uses nestjs-pino). */
export type MigrationLogger = Pick<Logger, 'log' | 'error'>;

/**
 * The module's migrations as run at start-up, with one log line saying what was applied (names,
 * driver, duration) or that the schema was up to date. Names and codes only: no URL, no data.
 */
export async function runStartupMigrations(
  dataSource: DataSource,
  logger: MigrationLogger = new Logger('QuickBooksAuth'),
): Promise<string[]> {
  const driver = String(dataSource.options.type);
  const started = Date.now();
  try {
    const ran = await runQuickBooksMigrations(dataSource);
    const took = Date.now() - started;
    logger.log(
      ran.length
        ? `migrations: applied ${ran.length} on ${driver} in ${took} ms: ${ran.join(', ')}`
        : `migrations: schema up to date on ${driver}`,
    );
    return ran;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    logger.error(
      `migrations: failed on ${driver}: ${
        typeof e?.code === 'string'
          ? e.code
          : String(e?.message ?? err)
              .split('\n')[0]
              .slice(0, 200)
      }`,
    );
    throw err;
  }
}
