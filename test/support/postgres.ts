import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The real PostgreSQL every machine here runs (trust auth), overridable with POSTGRES_URL. */
export const POSTGRES_BASE_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh database on the real PostgreSQL named by POSTGRES_URL, unique per suite, so suites
 * (and parallel runs) never see each other's rows. Drop it in afterAll.
 */
export async function createScratchPostgresDatabase(prefix = 'qb'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  await onAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(POSTGRES_BASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // FORCE: a pool a failed test left open must not keep the database alive.
    drop: () => onAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

async function onAdmin(fn: (admin: Client) => Promise<unknown>): Promise<void> {
  const admin = new Client({ connectionString: POSTGRES_BASE_URL });
  await admin.connect();
  try {
    await fn(admin);
  } finally {
    await admin.end();
  }
}

/** `?` placeholders as PostgreSQL wants them (`$1`, `$2`, …), for tests that write one statement for every dialect. */
export function pgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
