import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { maskUrlPassword } from '../auth/storage/storage-connection-failure';
import { CliUsageError } from './cli-usage.error';

/** A database to migrate, with a label safe to print (password masked) and the secret to scrub from errors. */
export interface DatabaseTarget {
  options: DataSourceOptions;
  label: string;
  secret?: string;
}

/**
 * `--url` (MySQL/MariaDB) or `--sqlite` (file), else DATABASE_URL, else QB_SQLITE_PATH — the
 * variables the app itself reads. Errors name the flag or variable the bad value came from.
 */
export function databaseTarget(flags: { url?: string; sqlite?: string }, env: NodeJS.ProcessEnv): DatabaseTarget {
  if (flags.url && flags.sqlite) throw new CliUsageError('give either --url or --sqlite, not both');
  if (flags.sqlite) return sqliteTarget(flags.sqlite);
  if (flags.url) return mysqlTarget(flags.url, '--url');
  if (env.DATABASE_URL) return mysqlTarget(env.DATABASE_URL, 'DATABASE_URL');
  if (env.QB_SQLITE_PATH) return sqliteTarget(env.QB_SQLITE_PATH);
  throw new CliUsageError('no database given: pass --url or --sqlite, or set DATABASE_URL (or QB_SQLITE_PATH)');
}

function sqliteTarget(path: string): DatabaseTarget {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  return { options: { type: 'better-sqlite3', database: file }, label: `sqlite:${file}` };
}

function mysqlTarget(raw: string, source: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError(`${source} cannot be parsed (expected mysql://user:pass@host:3306/db)`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw new CliUsageError(`${source} has the unsupported scheme "${url.protocol}" (expected mysql:// or mariadb://)`);
  if (url.pathname.length <= 1) throw new CliUsageError(`${source} must name a database (mysql://host:3306/<db>)`);
  url.protocol = 'mysql:';
  return {
    options: { type: 'mysql', url: url.toString(), connectTimeout: 10_000 },
    label: maskUrlPassword(url.toString()),
    secret: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

/** An error's code and message with `secret` (a password) cut out. */
export function describeError(err: unknown, secret?: string): string {
  const e = err as { code?: string; message?: string };
  let text = [e?.code, e?.message].filter(Boolean).join(': ') || String(err);
  if (secret) text = text.split(secret).join('***');
  return text;
}
