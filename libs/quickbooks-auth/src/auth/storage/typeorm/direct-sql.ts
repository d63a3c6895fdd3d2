import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { SqlDialect } from './sql-dialect';

/** A value a prepared statement binds: never undefined (mysql2 refuses it), never a Date. */
export type SqlParam = string | number | null;

/** What an UPDATE reports. lastInsertId: MySQL LAST_INSERT_ID (0 unless the statement set it); SQLite lastInsertRowid. */
export interface WriteResult {
  affected: number;
  lastInsertId: number;
}

/** The part of a mysql2 (callback API) pool connection used here. */
interface MysqlConnection {
  execute(options: string | { sql: string; timeout?: number }, values: SqlParam[], cb: (err: unknown, result: unknown) => void): unknown;
  release(): void;
  destroy(): void;
}

/** The part of TypeORM's MysqlDriver used here. */
interface MysqlDriverLike {
  /** A connection from the primary (the MASTER pool of a replication cluster, else the one pool). */
  obtainMasterConnection(): Promise<MysqlConnection>;
}

/** The part of a better-sqlite3 Database used here. */
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

interface SqliteStatement {
  all(...params: SqlParam[]): unknown[];
  run(...params: SqlParam[]): { changes: number; lastInsertRowid: number | bigint };
}

interface SqliteDriverLike {
  databaseConnection: SqliteDatabase;
}

/** The part of a pg pool client used here. */
interface PostgresClient {
  query(config: {
    name: string;
    text: string;
    values: SqlParam[];
    query_timeout?: number;
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
}

/** The part of TypeORM's PostgresDriver used here: a client from the primary and its release (true = destroy). */
interface PostgresDriverLike {
  obtainMasterConnection(): Promise<[PostgresClient, (destroy?: boolean) => void]>;
}

/** SQLSTATE 25006 read_only_sql_transaction: a standby promoted away, or a primary that turned read-only. */
const PG_READ_ONLY = '25006';

/** 1290 ER_OPTION_PREVENTS_STATEMENT, 1792 ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, 1836 ER_READ_ONLY_MODE. */
const READ_ONLY_ERRNOS = new Set([1290, 1792, 1836]);

/**
 * The hot statements (token reads, lease and swap UPDATEs) straight on the DataSource's own
 * driver, skipping TypeORM's query builder, query runners and entity hydration:
 * - MySQL/MariaDB: a prepared statement (`execute`) on a connection from the primary, obtained
 *   the way TypeORM's own master query runner obtains it, so token reads never go to a replica
 *   and pool connections keep TypeORM's error listener.
 * - PostgreSQL: a named prepared statement (parsed once per pool client, then only bound and
 *   executed) on a client from the primary, obtained the way TypeORM's master query runner does.
 * - SQLite: better-sqlite3 prepared statements on the driver's single connection, cached per
 *   connection.
 * Statements still go through the DataSource logger (query, error, slow), so a host that logs
 * SQL sees them as before; TypeORM `beforeQuery`/`afterQuery` subscribers do not see them.
 * Driver errors are thrown as they are: the caller maps them to StorageError (no secrets).
 */
export class DirectSql {
  private sqliteDb: SqliteDatabase | null = null;
  private readonly sqliteStatements = new Map<string, SqliteStatement>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: SqlDialect,
  ) {}

  /** Rows of a SELECT (or of an UPDATE ... RETURNING on SQLite and PostgreSQL). */
  async rows<T>(sql: string, params: SqlParam[]): Promise<T[]> {
    return (await this.exec(sql, params, 'rows')) as T[];
  }

  /** Rows matched by an UPDATE (mysql2 reports found rows, as TypeORM's `affected` does). */
  async affected(sql: string, params: SqlParam[]): Promise<number> {
    return ((await this.exec(sql, params, 'header')) as WriteResult).affected;
  }

  /**
   * MySQL: rows matched by an UPDATE and the value its `LAST_INSERT_ID(expr)` recorded, which the
   * server returns in the same OK packet (the one way to learn a value an UPDATE computed without
   * a second statement that could see a later write).
   */
  async write(sql: string, params: SqlParam[]): Promise<WriteResult> {
    return (await this.exec(sql, params, 'header')) as WriteResult;
  }

  private async exec(written: string, params: SqlParam[], mode: 'rows' | 'header'): Promise<unknown> {
    const returnsRows = mode === 'rows';
    const sql = this.dialect.bind(written);
    const logger = this.dataSource.logger;
    logger.logQuery(sql, params);
    const started = Date.now();
    try {
      const result =
        this.dialect.kind === 'typeorm-mysql'
          ? await this.mysql(sql, params, returnsRows)
          : this.dialect.kind === 'typeorm-postgres'
            ? await this.postgres(sql, params, returnsRows)
            : this.sqlite(sql, params, returnsRows);
      const slowMs = this.dataSource.options.maxQueryExecutionTime;
      const tookMs = Date.now() - started;
      if (slowMs && tookMs > slowMs) logger.logQuerySlow(tookMs, sql, params);
      return result;
    } catch (err) {
      logger.logQueryError(err instanceof Error ? err : String(err), sql, params);
      throw err;
    }
  }

  private async mysql(sql: string, params: SqlParam[], returnsRows: boolean): Promise<unknown> {
    const conn = await (this.dataSource.driver as unknown as MysqlDriverLike).obtainMasterConnection();
    const options = this.dataSource.options as { maxQueryExecutionTime?: number; enableQueryTimeout?: boolean };
    const payload = options.enableQueryTimeout && options.maxQueryExecutionTime ? { sql, timeout: options.maxQueryExecutionTime } : sql;
    return new Promise((resolve, reject) => {
      try {
        conn.execute(payload, params, (err, result) => {
          // A primary that turned read-only (failover) must not keep serving this pool.
          if (err && READ_ONLY_ERRNOS.has((err as { errno?: number }).errno ?? 0)) conn.destroy();
          else conn.release();
          if (err) reject(err);
          else if (returnsRows) resolve(result);
          else {
            const header = result as { affectedRows: number; insertId: number | string };
            resolve({ affected: header.affectedRows, lastInsertId: Number(header.insertId) } satisfies WriteResult);
          }
        });
      } catch (err) {
        conn.release();
        reject(err);
      }
    });
  }

  private async postgres(sql: string, params: SqlParam[], returnsRows: boolean): Promise<unknown> {
    const [client, release] = await (this.dataSource.driver as unknown as PostgresDriverLike).obtainMasterConnection();
    const options = this.dataSource.options as { maxQueryExecutionTime?: number; enableQueryTimeout?: boolean };
    const timeout = options.enableQueryTimeout && options.maxQueryExecutionTime ? options.maxQueryExecutionTime : undefined;
    let failed: unknown = null;
    // pg emits 'error' on a checked-out client whose socket dies (the pool listens only while it
    // is idle): unheard, that is an uncaught exception. The query rejects on its own; the client is dropped.
    let broken = false;
    const onBroken = () => void (broken = true);
    client.on('error', onBroken);
    try {
      const result = await client.query({
        name: statementName(sql),
        text: sql,
        values: params,
        ...(timeout ? { query_timeout: timeout } : {}),
      });
      return returnsRows ? result.rows : ({ affected: result.rowCount ?? 0, lastInsertId: 0 } satisfies WriteResult);
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      client.removeListener('error', onBroken);
      // A dead client, or one of a read-only server, must not keep serving this pool.
      release(broken || (failed !== null && (failed as { code?: unknown }).code === PG_READ_ONLY));
    }
  }

  private sqlite(sql: string, params: SqlParam[], returnsRows: boolean): unknown {
    const db = (this.dataSource.driver as unknown as SqliteDriverLike).databaseConnection;
    if (db !== this.sqliteDb) {
      // A re-initialized DataSource has a new connection: statements of the old one are dead.
      this.sqliteStatements.clear();
      this.sqliteDb = db;
    }
    let statement = this.sqliteStatements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.sqliteStatements.set(sql, statement);
    }
    if (returnsRows) return statement.all(...params);
    const run = statement.run(...params);
    return { affected: run.changes, lastInsertId: Number(run.lastInsertRowid) } satisfies WriteResult;
  }
}

const statementNames = new Map<string, string>();

/** A prepared statement's name: the same text always gets the same name (pg prepares it once per client). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `qb_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    if (statementNames.size < 1000) statementNames.set(sql, name);
  }
  return name;
}
