import { DataSource } from 'typeorm';
import { pendingQuickBooksMigrations, runQuickBooksMigrations } from '../migrations/run-migrations';
import type { CliCommand } from './cli-command';
import { databaseTarget, describeError, type DatabaseTarget } from './database-target';
import { ExitCode } from './exit-codes';
import { parseCommandLine } from './parse-command-line';

const USAGE = `usage: quickbooks-auth migrate [--url mysql://user:pass@host:3306/db | --url postgres://user:pass@host:5432/db | --sqlite ./path/qb.sqlite] [--dry-run]

Applies the module's schema migrations (tables quickbooks_connections and quickbooks_oauth_states),
recorded in TypeORM's migrations table. Safe to run from several deploy jobs at once (MySQL named lock, PostgreSQL advisory lock).

  --url URL      MySQL/MariaDB or PostgreSQL database (default: DATABASE_URL)
  --sqlite FILE  SQLite file (default: QB_SQLITE_PATH when DATABASE_URL is unset)
  --dry-run      list the migrations that would run; change nothing
  -h, --help     this text

Exit codes: 0 done (or nothing to do), 1 a migration or the connection failed, 2 bad option.
The password is never printed.`;

/** `quickbooks-auth migrate`: the schema, applied or (--dry-run) listed. */
export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply the schema migrations (--dry-run lists them)',
  usage: USAGE,
  async run(argv, io) {
    const flags = parseCommandLine(argv, {
      url: { type: 'string' },
      sqlite: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help) {
      io.out(`${USAGE}\n`);
      return ExitCode.ok;
    }
    const target: DatabaseTarget = databaseTarget(
      { url: flags.url as string | undefined, sqlite: flags.sqlite as string | undefined },
      io.env,
    );
    const dataSource = new DataSource({ ...target.options, logging: false });
    try {
      await dataSource.initialize();
      if (flags['dry-run']) {
        const pending = await pendingQuickBooksMigrations(dataSource);
        if (pending.length === 0) io.out(`QuickBooks auth schema is up to date on ${target.label}; nothing would run\n`);
        else
          io.out(
            `${pending.length} QuickBooks auth migration(s) would run on ${target.label} (dry run, nothing changed):\n${pending.map((n) => `  - ${n}\n`).join('')}`,
          );
        return ExitCode.ok;
      }
      const ran = await runQuickBooksMigrations(dataSource);
      if (ran.length === 0) io.out(`QuickBooks auth schema is up to date on ${target.label}\n`);
      else io.out(`Applied ${ran.length} QuickBooks auth migration(s) on ${target.label}:\n${ran.map((n) => `  - ${n}\n`).join('')}`);
      return ExitCode.ok;
    } catch (err) {
      io.err(`Migration failed on ${target.label}: ${describeError(err, target.secret)}\n`);
      return ExitCode.failed;
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    }
  },
};
