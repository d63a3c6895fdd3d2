/**
 * The `quickbooks-auth` command (libs/quickbooks-auth/src/cli), run in-process against a scratch
 * MariaDB database (and migrate, status and reencrypt on a scratch PostgreSQL one): migrate (--dry-run first), status (--json) over connections made through the
 * real consent flow, reencrypt under a new key, and the usage errors and exit codes of each.
 */
import { runQuickBooksAuthCli } from '@quickbooks-auth/nestjs/cli/run-cli';
import type { CliIo } from '@quickbooks-auth/nestjs/cli/cli-io';
import type { StatusReport } from '@quickbooks-auth/nestjs/cli/status.command';
import { QUICKBOOKS_AUTH_MYSQL_MIGRATIONS, QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../support/mariadb';
import { createScratchPostgresDatabase } from '../support/postgres';
import { connectTenant, startHarness } from '../support/quickbooks-harness';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty: false, env: { ...env } };
  const code = await runQuickBooksAuthCli(argv, io);
  return { code, out, err };
}

/** The variables the app itself reads, pointing at `databaseUrl`. */
function appEnvFor(databaseUrl: string, keys: string): NodeJS.ProcessEnv {
  return {
    QB_CLIENT_ID: TEST_CLIENT.clientId,
    QB_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    QB_REDIRECT_URI: TEST_CLIENT.redirectUri,
    QB_ENCRYPTION_KEYS: keys,
    QB_STATE_SECRET: testStateSecret(),
    QB_INTUIT_BASE_URL: 'http://127.0.0.1:9', // never called: maintenance commands do not talk to Intuit
    DATABASE_URL: databaseUrl,
  };
}

describe('quickbooks-auth command', () => {
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  const keysK1 = testKeyRing('k1');
  const appEnv = (): NodeJS.ProcessEnv => appEnvFor(db.url, keysK1);

  beforeAll(async () => {
    db = await createScratchDatabase('qb_cli');
  });
  afterAll(async () => db?.drop());

  it('migrate --dry-run lists what would run and changes nothing; migrate applies it once', async () => {
    const dry = await cli(['migrate', '--dry-run', '--url', db.url]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`${QUICKBOOKS_AUTH_MYSQL_MIGRATIONS.length} QuickBooks auth migration(s) would run`);
    expect(dry.out).toContain('CreateQuickbooksConnectionsMysql1767225600000');
    expect((await cli(['migrate', '--dry-run', '--url', db.url])).out).toContain('would run'); // still pending

    const applied = await cli(['migrate'], { DATABASE_URL: db.url });
    expect(applied).toMatchObject({ code: 0, err: '' });
    expect(applied.out).toContain(`Applied ${QUICKBOOKS_AUTH_MYSQL_MIGRATIONS.length} QuickBooks auth migration(s)`);

    const after = await cli(['migrate', '--dry-run', '--url', db.url]);
    expect(after.out).toContain('up to date');
    expect((await cli(['migrate', '--url', db.url])).out).toContain('up to date');
  });

  it('status and reencrypt read the store the app is configured with', async () => {
    const h = await startHarness({ storage: { type: 'typeorm', url: db.url }, options: { encryptionKeys: keysK1 } });
    try {
      await connectTenant(h, 'tenant-cli-a');
      await connectTenant(h, 'tenant-cli-b');
    } finally {
      await h.close();
    }

    const json = await cli(['status', '--json'], appEnv());
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as StatusReport;
    expect(report).toMatchObject({ total: 2, staleLeases: 0, withinSeconds: 1800 });
    expect(report.byStatus).toMatchObject({ active: 2, needs_reauth: 0, revoked: 0 });
    expect(report.store).toBe(`typeorm ${db.url}`);
    expect(Date.parse(report.soonestAccessExpiry!)).toBeGreaterThan(Date.now());
    expect(Date.parse(report.soonestRefreshExpiry!)).toBeGreaterThan(Date.parse(report.soonestAccessExpiry!));

    const text = await cli(['status', '--within-seconds', '7200'], appEnv());
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/active\s+2/);
    expect(text.out).toContain('Access tokens expiring within 7200 s: 2');
    expect(text.out).toContain('Stale leases: 0');

    const rotated = { ...appEnv(), QB_ENCRYPTION_KEYS: `${testKeyRing('k2')},${keysK1}` };
    const reencrypt = await cli(['reencrypt', '--batch-size', '1'], rotated);
    expect(reencrypt.code).toBe(0);
    expect(reencrypt.err).toContain('scanned 1, re-encrypted 1, failed 0'); // progress after the first page
    expect(reencrypt.out).toContain('Re-encrypted 2 of 2 connection(s)');
    const again = await cli(['reencrypt'], rotated);
    expect(again.out).toContain('Re-encrypted 0 of 2 connection(s)');
    // Nothing secret on any stream.
    for (const r of [json, text, reencrypt, again])
      for (const secret of [TEST_CLIENT.clientSecret, keysK1.split(':')[1]]) expect(r.out + r.err).not.toContain(secret);
  });

  it.each(['migrate', 'reencrypt', 'status'])('%s --help prints its usage and exits 0', async (command) => {
    const help = await cli([command, '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain(`usage: quickbooks-auth ${command}`);
    expect(help.out).toContain('Exit codes:');
  });

  it('names the bad option, variable or command and exits 2', async () => {
    const unknown = await cli(['status', '--jsn'], appEnv());
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain('unknown option --jsn');
    expect((await cli(['migrate', '--url'])).err).toContain('option --url needs a value');
    expect((await cli(['migrate', '--dry-run=yes', '--url', db.url])).err).toContain('option --dry-run takes no value');
    expect((await cli(['migrate', '--url', db.url, '--sqlite', 'x.db'])).err).toContain('either --url or --sqlite');
    expect((await cli(['migrate', '--url', 'redis://h/db'])).err).toContain(
      '--url must be a mysql://, mariadb://, postgres:// or postgresql:// URL',
    );
    expect((await cli(['migrate', '--url', 'postgres://127.0.0.1:5432'])).err).toContain('--url must name a database: postgres://');
    expect((await cli(['migrate'], { DATABASE_URL: 'mysql://127.0.0.1:3306' })).err).toContain('DATABASE_URL must name a database');
    expect((await cli(['reencrypt', '--batch-size', '0'], appEnv())).err).toContain('option --batch-size must be a positive integer');
    expect((await cli(['status', '--within-seconds', 'soon'], appEnv())).code).toBe(2);
    const missing = await cli(['status'], { ...appEnv(), QB_STATE_SECRET: '' });
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('QB_STATE_SECRET is required');
    expect((await cli(['statsu'])).err).toContain('unknown command "statsu"');
    expect((await cli(['status', '--env-file', '/nonexistent/.env'])).err).toContain('option --env-file: cannot read /nonexistent/.env');
    for (const code of [(await cli(['statsu'])).code, (await cli([])).code]) expect(code).toBe(2);
  });

  it('exits 1 with the password masked when the database refuses', async () => {
    const url = new URL(db.url);
    url.username = 'nobody_here';
    url.password = 'hunter2-not-a-real-password';
    const failed = await cli(['migrate', '--url', url.toString()]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('Migration failed on mysql://nobody_here:****@');
    expect(failed.err).not.toContain('hunter2-not-a-real-password');
  });
});

describe('quickbooks-auth command on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createScratchPostgresDatabase>>;
  const keysK1 = testKeyRing('k1');
  const keysK2 = testKeyRing('k2');
  beforeAll(async () => {
    db = await createScratchPostgresDatabase('qb_cli');
  });
  afterAll(async () => db?.drop());

  it('migrate --dry-run, migrate (postgresql:// from DATABASE_URL), then up to date; status and reencrypt read the store', async () => {
    const dry = await cli(['migrate', '--dry-run', '--url', db.url]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`${QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS.length} QuickBooks auth migration(s) would run`);
    expect(dry.out).toContain('CreateQuickbooksConnectionsPostgres1767225600000');

    const applied = await cli(['migrate'], { DATABASE_URL: db.url.replace(/^postgres:/, 'postgresql:') });
    expect(applied).toMatchObject({ code: 0, err: '' });
    expect(applied.out).toContain(`Applied ${QUICKBOOKS_AUTH_POSTGRES_MIGRATIONS.length} QuickBooks auth migration(s)`);
    expect((await cli(['migrate', '--url', db.url])).out).toContain('up to date');

    const h = await startHarness({ storage: { type: 'typeorm', url: db.url }, options: { encryptionKeys: keysK1 } });
    let realmId: string;
    try {
      realmId = await connectTenant(h, 'tenant-cli-pg');
    } finally {
      await h.close();
    }
    const status = await cli(['status', '--json'], appEnvFor(db.url, keysK1));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out) as StatusReport).toMatchObject({ total: 1, byStatus: expect.objectContaining({ active: 1 }) });

    const reencrypt = await cli(['reencrypt'], appEnvFor(db.url, `${keysK2},${keysK1}`));
    expect(reencrypt.code).toBe(0);
    expect(reencrypt.out).toContain('Re-encrypted 1 of 1 connection(s)');
    // The old key can go: the tokens decrypt under the new one alone.
    const underK2 = await startHarness({ storage: { type: 'typeorm', url: db.url }, options: { encryptionKeys: keysK2 } });
    try {
      await expect(underK2.tokens.getAccessToken({ tenantId: 'tenant-cli-pg', realmId })).resolves.toEqual(expect.any(String));
    } finally {
      await underK2.close();
    }
  });

  it('an unreachable server fails with exit code 1 and no password', async () => {
    const run = await cli(['migrate', '--url', 'postgres://qb:s3cret-pw@127.0.0.1:9/qb']);
    expect(run.code).toBe(1);
    expect(run.err).not.toContain('s3cret-pw');
  });
});
