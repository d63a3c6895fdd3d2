import type { DataSource } from 'typeorm';
import { ConfigurationError } from '../../../errors/configuration.error';

export type TypeOrmStorageKind = 'typeorm-mysql' | 'typeorm-sqlite';

/** The few SQL fragments that differ between the supported databases. */
export interface SqlDialect {
  kind: TypeOrmStorageKind;
  /**
   * The database clock as UTC epoch ms. MySQL: UTC_TIMESTAMP (not NOW) so the session time zone
   * and DST never shift lease times. SQLite: julianday('now') has millisecond resolution.
   */
  nowMs: string;
  /** Driver error codes meaning "that tenant + realm already exists". */
  isDuplicateKey(code: string | undefined): boolean;
}

const MYSQL: SqlDialect = {
  kind: 'typeorm-mysql',
  nowMs: "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000)",
  isDuplicateKey: (code) => code === 'ER_DUP_ENTRY',
};

const SQLITE: SqlDialect = {
  kind: 'typeorm-sqlite',
  nowMs: "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
  isDuplicateKey: (code) => code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
};

export function sqlDialectFor(dataSource: DataSource): SqlDialect {
  switch (dataSource.options.type) {
    case 'mysql':
    case 'mariadb':
      return MYSQL;
    case 'better-sqlite3':
      return SQLITE;
    default:
      throw new ConfigurationError([
        `TypeORM token storage supports MySQL/MariaDB (type "mysql" or "mariadb") and SQLite (type "better-sqlite3"), not "${String(dataSource.options.type)}"`,
      ]);
  }
}
