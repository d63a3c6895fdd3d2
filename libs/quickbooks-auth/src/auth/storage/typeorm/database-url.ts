/** The databases a `storage.url` (DATABASE_URL) can name, by its scheme. */
export type DatabaseUrlDriver = 'mysql' | 'postgres';

/** A database URL the module can open: the driver, and the URL with the scheme that driver expects. */
export interface ParsedDatabaseUrl {
  driver: DatabaseUrlDriver;
  url: string;
}

const DRIVERS: Record<string, DatabaseUrlDriver> = {
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
};

const EXAMPLES: Record<DatabaseUrlDriver, string> = {
  mysql: 'mysql://user:password@host:3306/<database>',
  postgres: 'postgres://user:password@host:5432/<database>',
};

export const DATABASE_URL_SCHEMES = 'mysql://, mariadb://, postgres:// or postgresql://';

/**
 * Parses a database URL, or says in one line what is wrong with it (`source` names where it came
 * from). A URL without a database is refused: TypeORM would otherwise fail late and vaguely.
 * Problems never echo the URL (it may carry a password).
 */
export function parseDatabaseUrl(raw: string, source: string): ParsedDatabaseUrl | { problem: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { problem: `${source} is not a valid URL: ${EXAMPLES.mysql} or ${EXAMPLES.postgres}` };
  }
  const driver = DRIVERS[u.protocol];
  if (!driver) return { problem: `${source} must be a ${DATABASE_URL_SCHEMES} URL` };
  if (u.pathname.replace(/^\/+/, '') === '') return { problem: `${source} must name a database: ${EXAMPLES[driver]}` };
  u.protocol = driver === 'mysql' ? 'mysql:' : 'postgres:';
  return { driver, url: u.toString() };
}
