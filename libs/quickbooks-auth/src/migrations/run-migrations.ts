import { type DataSource, Migration, MigrationExecutor, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ConfigurationError } from '../errors/configuration.error';
import { QUICKBOOKS_AUTH_MYSQL_MIGRATIONS, QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS, QUICKBOOKS_AUTH_SQLITE_MIGRATIONS } from './migration-sets';
import { migrationLockFor } from './migration-lock';

/** Runs exactly the module's own migrations, whatever the host lists in its DataSource options. */
class QuickBooksMigrationExecutor extends MigrationExecutor {
  constructor(
    dataSource: DataSource,
    queryRunner: QueryRunner,
    private readonly own: MigrationInterface[],
  ) {
    super(dataSource, queryRunner);
    this.transaction = 'each';
  }

  protected override getMigrations(): Migration[] {
    return this.own
      .map((m) => {
        const name = m.name ?? m.constructor.name;
        return new Migration(undefined, Number(name.slice(-13)), name, m);
      })
      .sort((a, b) => a.timestamp - b.timestamp);
  }
}

/** The migration set for a DataSource's driver. */
export function quickBooksMigrationsFor(dataSource: DataSource): MigrationInterface[] {
  switch (dataSource.options.type) {
    case 'mysql':
    case 'mariadb':
      return QUICKBOOKS_AUTH_MYSQL_MIGRATIONS.map((M) => new M());
    case 'postgres':
      return QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS.map((M) => new M());
    case 'better-sqlite3':
      return QUICKBOOKS_AUTH_SQLITE_MIGRATIONS.map((M) => new M());
    default:
      throw new ConfigurationError([
        `QuickBooks auth migrations support MySQL/MariaDB, PostgreSQL and better-sqlite3, not "${String(dataSource.options.type)}"`,
      ]);
  }
}

/**
 * Applies the module's pending migrations to an initialized DataSource and returns the names it
 * ran. Recorded in the host's migrations table (names are unique to this module). A lock held by
 * this session (MySQL named lock, PostgreSQL advisory lock) serializes replicas that start at the
 * same moment.
 */
export async function runQuickBooksMigrations(dataSource: DataSource): Promise<string[]> {
  const migrations = quickBooksMigrationsFor(dataSource);
  const queryRunner = dataSource.createQueryRunner();
  const lock = migrationLockFor(dataSource);
  try {
    await lock.acquire(queryRunner);
    try {
      const ran = await new QuickBooksMigrationExecutor(dataSource, queryRunner, migrations).executePendingMigrations();
      return ran.map((m) => m.name);
    } finally {
      await lock.release(queryRunner).catch(() => undefined);
    }
  } finally {
    await queryRunner.release();
  }
}

/**
 * The module's migrations not yet applied to an initialized DataSource, oldest first. Reads only:
 * creates nothing, not even the migrations table (`quickbooks-auth migrate --dry-run`).
 */
export async function pendingQuickBooksMigrations(dataSource: DataSource): Promise<string[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    const pending = await new QuickBooksMigrationExecutor(
      dataSource,
      queryRunner,
      quickBooksMigrationsFor(dataSource),
    ).getPendingMigrations();
    return pending.map((m) => m.name);
  } finally {
    await queryRunner.release();
  }
}
