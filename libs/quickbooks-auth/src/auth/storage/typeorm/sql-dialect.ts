import type { DataSource } from 'typeorm';
import { ConfigurationError } from '../../../errors/configuration.error';

export type TypeOrmStorageKind = 'typeorm-mysql' | 'typeorm-postgres' | 'typeorm-sqlite';

/**
 * The few SQL fragments that differ between the supported databases. Statements are written
 * once with `?` placeholders; `bind` turns them into what the driver expects.
 */
export interface SqlDialect {
  kind: TypeOrmStorageKind;
  /**
   * The database clock as UTC epoch ms. MySQL: UTC_TIMESTAMP (not NOW) so the session time zone
   * and DST never shift lease times. PostgreSQL: statement_timestamp() (one value per statement,
   * unlike clock_timestamp(); not frozen for a whole transaction, unlike now()); epoch is UTC
   * whatever the session TimeZone. SQLite: julianday('now') has millisecond resolution.
   */
  nowMs: string;
  /**
   * An UPDATE can hand back the rows it wrote (`UPDATE … RETURNING`): one statement for a lease,
   * a swap or a claim, and what is returned is exactly what was stored. MySQL has no RETURNING.
   */
  updateReturning: boolean;
  /**
   * What the row-picking subquery of a RETURNING claim appends after its LIMIT: PostgreSQL locks
   * the picked rows and skips those another claimer holds, so concurrent claimers never wait on
   * each other nor pick the same row; SQLite has a single writer and needs nothing.
   */
  claimLock: string;
  /** The statement with its `?` placeholders as the driver wants them (`$1…$n` on PostgreSQL). */
  bind(sql: string): string;
  /** Driver error codes meaning "that tenant + realm already exists". */
  isDuplicateKey(code: string | undefined): boolean;
  /**
   * The server rolled the statement back whole to break a deadlock (or a serialization
   * conflict): every operation re-checks its condition, so it may simply run again.
   */
  isRetryable(code: string | undefined): boolean;
}

const asIs = (sql: string) => sql;

const MYSQL: SqlDialect = {
  kind: 'typeorm-mysql',
  nowMs: "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000)",
  updateReturning: false,
  claimLock: ' FOR UPDATE SKIP LOCKED',
  bind: asIs,
  isDuplicateKey: (code) => code === 'ER_DUP_ENTRY',
  isRetryable: (code) => code === 'ER_LOCK_DEADLOCK',
};

/** SQLSTATEs: 23505 unique_violation, 40P01 deadlock_detected, 40001 serialization_failure. */
const POSTGRES: SqlDialect = {
  kind: 'typeorm-postgres',
  nowMs: '(FLOOR(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT)',
  updateReturning: true,
  claimLock: ' FOR UPDATE SKIP LOCKED',
  bind: numberedPlaceholders,
  isDuplicateKey: (code) => code === '23505',
  isRetryable: (code) => code === '40P01' || code === '40001',
};

const SQLITE: SqlDialect = {
  kind: 'typeorm-sqlite',
  nowMs: "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
  updateReturning: true,
  claimLock: '',
  bind: asIs,
  isDuplicateKey: (code) => code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  isRetryable: () => false,
};

export function sqlDialectFor(dataSource: DataSource): SqlDialect {
  switch (dataSource.options.type) {
    case 'mysql':
    case 'mariadb':
      return MYSQL;
    case 'postgres':
      return POSTGRES;
    case 'better-sqlite3':
      return SQLITE;
    default:
      throw new ConfigurationError([
        `TypeORM token storage supports MySQL/MariaDB (type "mysql" or "mariadb"), PostgreSQL (type "postgres") and SQLite (type "better-sqlite3"), not "${String(dataSource.options.type)}"`,
      ]);
  }
}

const numbered = new Map<string, string>();

/** `?` → `$1`, `$2`…, left to right, skipping quoted literals; cached (the statements are a fixed set). */
function numberedPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out !== undefined) return out;
  let n = 0;
  out = sql.replace(/'(?:[^']|'')*'|"[^"]*"|\?/g, (m) => (m === '?' ? `$${++n}` : m));
  if (numbered.size < 1000) numbered.set(sql, out);
  return out;
}
