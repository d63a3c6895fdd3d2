import { StorageConnectionError } from '../../errors/storage-connection.error';
import type { StorageOptions } from './storage-options.interface';

/** `mysql://app:secret@db/app` → `mysql://app:****@db/app`; anything unparsable is not echoed. */
export function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '(not a valid URL)';
  }
}

/** Which option, which variable, and the target as it may be printed. */
function setting(s: StorageOptions): { option: string; envVariable: string | null; target: string | null; secrets: string[] } {
  switch (s.type) {
    case 'typeorm':
      if (s.dataSource) return { option: 'storage.dataSource', envVariable: null, target: null, secrets: [] };
      if (s.url) return { option: 'storage.url', envVariable: 'DATABASE_URL', target: maskUrlPassword(s.url), secrets: passwordsOf(s.url) };
      return { option: 'storage.sqlitePath', envVariable: 'QB_SQLITE_PATH', target: s.sqlitePath ?? null, secrets: [] };
    case 'redis':
      if (s.client) return { option: 'storage.client', envVariable: null, target: null, secrets: [] };
      return {
        option: 'storage.url',
        envVariable: 'REDIS_URL',
        target: s.url ? maskUrlPassword(s.url) : null,
        secrets: s.url ? passwordsOf(s.url) : [],
      };
    case 'file':
      return { option: 'storage.directory', envVariable: 'QB_FILE_STORAGE_DIR', target: s.directory, secrets: [] };
    default:
      return { option: 'storage.storage', envVariable: null, target: null, secrets: [] };
  }
}

/** Hints by driver code (mysql2, PostgreSQL SQLSTATEs, Node's net/dns/fs, Redis replies). */
const HINTS: Array<[RegExp, string]> = [
  // 3D000 invalid_catalog_name, 28P01 invalid_password, 28000 invalid_authorization_specification (pg_hba), 42501 insufficient_privilege.
  [
    /^(ER_BAD_DB_ERROR|3D000)$/,
    'the database does not exist: create it (CREATE DATABASE …) or fix the database name at the end of the URL',
  ],
  [/^(ER_ACCESS_DENIED|28P01|28000)/, 'the server refused this user and password: fix them in the URL, or grant the user access'],
  [/^(ER_DBACCESS_DENIED_ERROR|42501)$/, 'the user may not use this database: grant it, or name another database'],
  [/^ECONNREFUSED$/, 'nothing accepts connections at this host and port: start the server, or fix host and port'],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'the host name does not resolve: fix the host'],
  [/^(ETIMEDOUT|ECONNECT_TIMEOUT|EHOSTUNREACH|ENETUNREACH)$/, 'no answer from this host and port: check the host, port and firewall'],
  [/^(WRONGPASS|NOAUTH|ERR AUTH)/, 'Redis refused the credentials: fix the user and password in the URL'],
  [/^(EACCES|EPERM|EROFS)$/, 'this process may not write there: pick a writable directory or fix its permissions'],
  [/^(ENOTDIR|EEXIST)$/, 'a file is in the way of the directory: pick another path'],
  [/^ENOENT$/, 'the path cannot be created: pick a directory under an existing, writable one'],
  [
    /^database_not_set$/,
    'name a database at the end of the URL: mysql://user:password@host:3306/<database> or postgres://user:password@host:5432/<database>',
  ],
];

/** The driver's code, or a short first line of its message; with every secret of the URL masked. */
function reasonOf(err: unknown, secrets: string[]): { code: string; text: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0].slice(0, 200) : String(err);
  // TypeORM's own wording when the connection names no database (its advice about ormconfig.json does not apply).
  const code = /Option "database" is not set/.test(message)
    ? 'database_not_set'
    : typeof e?.code === 'string'
      ? e.code
      : /^(WRONGPASS|NOAUTH)/.test(message)
        ? message.split(' ')[0]
        : 'unknown';
  let text = message;
  for (const secret of secrets) text = text.split(secret).join('****');
  return { code, text };
}

/**
 * Turns a driver error raised while opening the store into a StorageConnectionError that names
 * the setting. The driver error is not attached as `cause`: some carry the URL with its password.
 */
export function toStorageConnectionError(storage: StorageOptions, err: unknown): StorageConnectionError {
  if (err instanceof StorageConnectionError) return err;
  const where = setting(storage);
  const { code, text } = reasonOf(err, where.secrets);
  const hint = HINTS.find(([pattern]) => pattern.test(code))?.[1] ?? 'check that the store is running and this setting points at it';
  const reason = code === 'unknown' || text.includes(code) ? text : `${code}: ${text}`;
  return new StorageConnectionError(where.option, where.envVariable, where.target, reason, hint);
}

function passwordsOf(url: string): string[] {
  try {
    const p = new URL(url).password;
    return p ? [...new Set([p, decodeURIComponent(p)])] : [];
  } catch {
    return [];
  }
}
