import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { maskUrlPassword } from '../auth/storage/storage-connection-failure';
import { parseDatabaseUrl } from '../auth/storage/typeorm/database-url';
import { CliUsageError } from './cli-usage.error';

/** A database to migrate, with a label safe to print (password masked) and the secret to scrub from errors. */
export interface DatabaseTarget {
  options: DataSourceOptions;
  label: string;
  secret?: string;
}

/**
 * `--url` (MySQL/MariaDB or PostgreSQL) or `--sqlite` (file), else DATABASE_URL, else QB_SQLITE_PATH — the
 * variables the app itself reads. Errors name the flag or variable the bad value came from.
 */
export function databaseTarget(flags: { url?: string; sqlite?: string }, env: NodeJS.ProcessEnv): DatabaseTarget {
  if (flags.url && flags.sqlite) throw new CliUsageError('give either --url or --sqlite, not both');
  if (flags.sqlite) return sqliteTarget(flags.sqlite);
  if (flags.url) return urlTarget(flags.url, '--url');
  if (env.DATABASE_URL) return urlTarget(env.DATABASE_URL, 'DATABASE_URL');
  if (env.QB_SQLITE_PATH) return sqliteTarget(env.QB_SQLITE_PATH);
  throw new CliUsageError('no database given: pass --url or --sqlite, or set DATABASE_URL (or QB_SQLITE_PATH)');
}

function sqliteTarget(path: string): DatabaseTarget {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  return { options: { type: 'better-sqlite3', database: file }, label: `sqlite:${file}` };
}

function urlTarget(raw: string, source: string): DatabaseTarget {
  const parsed = parseDatabaseUrl(raw, source);
  if ('problem' in parsed) throw new CliUsageError(parsed.problem);
  const options: DataSourceOptions =
    parsed.driver === 'postgres'
      ? { type: 'postgres', url: parsed.url, connectTimeoutMS: 10_000, installExtensions: false }
      : { type: 'mysql', url: parsed.url, connectTimeout: 10_000 };
  const password = new URL(parsed.url).password;
  return { options, label: maskUrlPassword(parsed.url), secret: password ? decodeURIComponent(password) : undefined };
}

/** An error's code and message with `secret` (a password) cut out. */
export function describeError(err: unknown, secret?: string): string {
  const e = err as { code?: string; message?: string };
  let text = [e?.code, e?.message].filter(Boolean).join(': ') || String(err);
  if (secret) text = text.split(secret).join('***');
  return text;
}
