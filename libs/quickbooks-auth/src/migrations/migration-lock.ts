import type { DataSource, QueryRunner } from 'typeorm';

/** Serializes concurrent migration runs (deploy jobs, replicas starting together) on one database. */
export interface MigrationLock {
  acquire(queryRunner: QueryRunner): Promise<void>;
  release(queryRunner: QueryRunner): Promise<void>;
}

const LOCK_NAME = 'quickbooks_auth_migrations';
const WAIT_MS = 60_000;
const TIMED_OUT = 'timed out waiting for another process running QuickBooks auth migrations';

/** MySQL/MariaDB: a named lock, held by the query runner's connection. */
const MYSQL_LOCK: MigrationLock = {
  async acquire(queryRunner) {
    const [row] = await queryRunner.query(`SELECT GET_LOCK('${LOCK_NAME}', ${WAIT_MS / 1000}) AS got`);
    if (Number(row?.got) !== 1) throw new Error(TIMED_OUT);
  },
  async release(queryRunner) {
    await queryRunner.query(`SELECT RELEASE_LOCK('${LOCK_NAME}')`);
  },
};

/**
 * PostgreSQL: a session advisory lock keyed by the lock name, held by the query runner's
 * connection. Polled with pg_try_advisory_lock so the wait is bounded like MySQL's GET_LOCK
 * (pg_advisory_lock would wait forever, or change lock_timeout for the migrations too).
 */
const POSTGRES_LOCK: MigrationLock = {
  async acquire(queryRunner) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const [row] = await queryRunner.query(`SELECT pg_try_advisory_lock(hashtext('${LOCK_NAME}')) AS got`);
      if (row?.got === true) return;
      if (Date.now() >= deadline) throw new Error(TIMED_OUT);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
  async release(queryRunner) {
    await queryRunner.query(`SELECT pg_advisory_unlock(hashtext('${LOCK_NAME}'))`);
  },
};

/** SQLite has a single writer: the file lock already serializes. */
const NO_LOCK: MigrationLock = { acquire: async () => undefined, release: async () => undefined };

export function migrationLockFor(dataSource: DataSource): MigrationLock {
  switch (dataSource.options.type) {
    case 'mysql':
    case 'mariadb':
      return MYSQL_LOCK;
    case 'postgres':
      return POSTGRES_LOCK;
    default:
      return NO_LOCK;
  }
}
