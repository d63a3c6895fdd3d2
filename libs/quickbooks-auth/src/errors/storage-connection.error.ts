import { StorageError } from './storage.error';

/**
 * The token store could not be opened or reached at start-up. Names the option to fix (and the
 * environment variable quickBooksOptionsFromEnv reads it from), the target with its password
 * masked, the driver's reason and a hint. Never the password (I5).
 * @publicApi
 */
export class StorageConnectionError extends StorageError {
  constructor(
    /** The option to fix: `storage.url`, `storage.sqlitePath`, `storage.directory`, `storage.dataSource`, `storage.client`. */
    public readonly option: string,
    /** Where quickBooksOptionsFromEnv reads that option: `DATABASE_URL`, `REDIS_URL`…; null for objects the host passes. */
    public readonly envVariable: string | null,
    /** What was tried, password masked (`mysql://app:****@db:3306/app`), or null for a host-provided object. */
    public readonly target: string | null,
    /** The driver's code or first message line (`ER_BAD_DB_ERROR`, `ECONNREFUSED`…), secrets masked. */
    public readonly reason: string,
    public readonly hint: string,
  ) {
    const setting = envVariable ? `${option} (${envVariable})` : option;
    super(
      `QuickBooks token storage could not be opened: ${reason}. Check ${setting}${target ? ` = ${target}` : ''}: ${hint}`,
      'storage_connection_failed',
    );
  }
}
