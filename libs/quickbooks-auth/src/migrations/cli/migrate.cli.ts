/**
 * Applies the QuickBooks auth schema migrations.
 *
 *   npm run migrate -- --url mysql://user:pass@127.0.0.1:3306/app
 *   npm run migrate -- --sqlite ./data/qb.sqlite
 *   npm run migrate                      (uses DATABASE_URL)
 *
 * Prints what it ran; exits non-zero with a clear message on failure. Never prints a password.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { runQuickBooksMigrations } from '../run-migrations';

interface Target {
  options: DataSourceOptions;
  /** Safe to print: the password is masked. */
  label: string;
  secret?: string;
}

const USAGE = 'usage: npm run migrate -- [--url mysql://user:pass@host:3306/db | --sqlite ./path/qb.sqlite]  (default: DATABASE_URL)';

export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): { help: true } | { help: false; url?: string; sqlite?: string } {
  let url: string | undefined;
  let sqlite: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') return { help: true };
    else if (flag === '--url') url = value();
    else if (flag === '--sqlite') sqlite = value();
    else throw new Error(`unknown argument "${flag}"`);
  }
  if (url && sqlite) throw new Error('give either --url or --sqlite, not both');
  if (!url && !sqlite) url = env.DATABASE_URL;
  if (!url && !sqlite) throw new Error('no database given: pass --url or --sqlite, or set DATABASE_URL');
  return { help: false, url, sqlite };
}

function targetFor(args: { url?: string; sqlite?: string }): Target {
  if (args.sqlite) {
    const file = resolve(args.sqlite);
    mkdirSync(dirname(file), { recursive: true });
    return { options: { type: 'better-sqlite3', database: file }, label: `sqlite:${file}` };
  }
  const raw = args.url!;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('the database URL cannot be parsed (expected mysql://user:pass@host:3306/db)');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw new Error(`unsupported URL scheme "${url.protocol}" (expected mysql:// or mariadb://)`);
  if (url.pathname.length <= 1) throw new Error('the database URL must name a database (mysql://host:3306/<db>)');
  url.protocol = 'mysql:';
  return {
    options: { type: 'mysql', url: url.toString(), connectTimeout: 10_000 },
    label: redactUrl(url.toString()),
    secret: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

function describeError(err: unknown, secret: string | undefined): string {
  const e = err as { code?: string; message?: string };
  let text = [e?.code, e?.message].filter(Boolean).join(': ') || String(err);
  if (secret) text = text.split(secret).join('***');
  return text;
}

async function main(): Promise<number> {
  let target: Target | undefined;
  let dataSource: DataSource | undefined;
  try {
    const args = parseArgs(process.argv.slice(2), process.env);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    target = targetFor(args);
    dataSource = new DataSource({ ...target.options, logging: false });
    await dataSource.initialize();
    const ran = await runQuickBooksMigrations(dataSource);
    if (ran.length === 0) console.log(`QuickBooks auth schema is up to date on ${target.label}`);
    else console.log(`Applied ${ran.length} QuickBooks auth migration(s) on ${target.label}:\n${ran.map((n) => `  - ${n}`).join('\n')}`);
    return 0;
  } catch (err) {
    console.error(`Migration failed${target ? ` on ${target.label}` : ''}: ${describeError(err, target?.secret)}`);
    if (!target) console.error(USAGE);
    return 1;
  } finally {
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
