/**
 * `quickbooks-auth import` (issue 16, part 2), run in-process against a scratch MariaDB database:
 * 10,000 rows of JSON lines, a 10,000-row file with malformed lines (each reported by line number,
 * nothing written), existing rows, --dry-run, --overwrite, CSV, and --verify against the emulator
 * over HTTP (dead refresh tokens reported, resumable through its state file). Every token in these
 * files is a canary: none may appear in any output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runQuickBooksAuthCli } from '@quickbooks-auth/nestjs/cli/run-cli';
import type { CliIo } from '@quickbooks-auth/nestjs/cli/cli-io';
import type { ImportReport } from '@quickbooks-auth/nestjs/cli/import.command';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { KeyRing, QUICKBOOKS_AUTH_ENTITIES, TokenCipher } from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { createScratchDatabase } from '../support/mariadb';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

interface Run {
  code: number;
  out: string;
  err: string;
}

const CANARY = 'CANARYtok';

async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty: false, env: { ...env } };
  const code = await runQuickBooksAuthCli(argv, io);
  return { code, out, err };
}

function canaryToken(kind: 'RT' | 'AT', i: number): string {
  return `${kind}-${CANARY}-${i}-${randomBytes(12).toString('base64url')}`;
}

function expectNoToken(run: Run): void {
  expect(run.out).not.toContain(CANARY);
  expect(run.err).not.toContain(CANARY);
}

describe('quickbooks-auth import (MariaDB)', () => {
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let dir: string;
  let ds: DataSource;
  let storage: TypeOrmTokenStorage;
  let emulator: RunningEmulator;
  const keys = testKeyRing('k1');
  const env = (): NodeJS.ProcessEnv => ({
    QB_CLIENT_ID: TEST_CLIENT.clientId,
    QB_CLIENT_SECRET: TEST_CLIENT.clientSecret,
    QB_REDIRECT_URI: TEST_CLIENT.redirectUri,
    QB_ENCRYPTION_KEYS: keys,
    QB_STATE_SECRET: testStateSecret(),
    QB_INTUIT_BASE_URL: emulator.url,
    DATABASE_URL: db.url,
  });
  const count = async (tenantPrefix: string): Promise<number> =>
    Number(
      (
        (await ds.query('SELECT COUNT(*) AS n FROM quickbooks_connections WHERE tenant_id LIKE ?', [`${tenantPrefix}%`])) as Array<{
          n: unknown;
        }>
      )[0].n,
    );

  beforeAll(async () => {
    db = await createScratchDatabase('qb_import');
    dir = mkdtempSync(join(tmpdir(), 'qb-import-'));
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    expect((await cli(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
    ds = new DataSource({ type: 'mysql', url: db.url, entities: [...QUICKBOOKS_AUTH_ENTITIES] });
    await ds.initialize();
    storage = new TypeOrmTokenStorage(ds, new TokenCipher(KeyRing.parse(keys)));
  });
  afterAll(async () => {
    await ds?.destroy();
    await emulator?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports 10,000 JSON lines, encrypted, with a summary and no token in any output; a second run leaves them (or, --dry-run --overwrite, would replace them)', async () => {
    const file = join(dir, 'ten-thousand.jsonl');
    const now = Date.now();
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      tenantId: `tenant-big-${i % 97}`,
      realmId: `${9_100_000 + i}`,
      environment: 'sandbox',
      refreshToken: canaryToken('RT', i),
      ...(i % 2 === 0 ? { accessToken: canaryToken('AT', i), accessTokenExpiresAt: new Date(now + 3_000_000).toISOString() } : {}),
      ...(i % 3 === 0 ? { refresh_token_expires_at: now + 80 * 86_400_000 } : {}),
    }));
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);

    const run = await cli(['import', '--file', file, '--concurrency', '16'], env());
    expect(run.code).toBe(0);
    expectNoToken(run);
    expect(run.out).toMatch(/10000 line\(s\)/);
    expect(run.out).toMatch(/imported: +10000/);
    expect(run.err).toMatch(/imported 10000\/10000/); // progress
    expect(await count('tenant-big-')).toBe(10_000);

    // Encrypted at rest; readable through the storage class, exactly as given.
    const raw = (await ds.query('SELECT access_token_enc, refresh_token_enc FROM quickbooks_connections WHERE tenant_id LIKE ?', [
      'tenant-big-%',
    ])) as Array<Record<string, string | null>>;
    expect(raw.some((r) => `${r.access_token_enc}${r.refresh_token_enc}`.includes(CANARY))).toBe(false);
    for (const i of [0, 1, 4999, 9999]) {
      const c = (await storage.get({ tenantId: rows[i].tenantId, realmId: rows[i].realmId }))!;
      expect(c).toMatchObject({
        status: 'active',
        refreshToken: rows[i].refreshToken,
        accessToken: rows[i].accessToken ?? '',
        lastUsedAt: null,
      });
      expect(c.accessTokenExpiresAt.getTime()).toBe(i % 2 === 0 ? new Date(rows[i].accessTokenExpiresAt!).getTime() : 0);
      if (i % 3 === 0) expect(c.refreshTokenExpiresAt.getTime()).toBe(rows[i].refresh_token_expires_at);
      // Its first scheduled refresh within the hour learns its real expiries.
      expect(c.nextRefreshAt.getTime() - Date.now()).toBeLessThan(3_600_000);
    }

    const again = await cli(['import', '--file', file, '--json'], env());
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out) as ImportReport).toMatchObject({
      lines: 10_000,
      imported: 0,
      overwritten: 0,
      existing: 10_000,
      invalid: [],
    });

    const before = (await storage.get({ tenantId: rows[7].tenantId, realmId: rows[7].realmId }))!;
    const dry = await cli(['import', '--file', file, '--dry-run', '--overwrite', '--json'], env());
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.out) as ImportReport).toMatchObject({ dryRun: true, overwritten: 10_000, imported: 0 });
    expect((await storage.get({ tenantId: rows[7].tenantId, realmId: rows[7].realmId }))!.version).toBe(before.version);
    expectNoToken(dry);
  }, 180_000); // three CLI runs over 10,000 rows: about 35 s on an idle 2-core machine, twice that under load

  it('a 10,000-line file with malformed lines reports each by line number and writes nothing', async () => {
    const file = join(dir, 'malformed.jsonl');
    const lines = Array.from({ length: 10_000 }, (_, i) =>
      JSON.stringify({ tenantId: `tenant-bad-${i % 13}`, realmId: `${8_200_000 + i}`, refreshToken: canaryToken('RT', i) }),
    );
    lines[16] = `{"tenantId": "tenant-bad-x", "realmId": "1", "refreshToken": "${canaryToken('RT', 16)}"`; // line 17: cut short
    lines[4002] = JSON.stringify({ tenantId: 'tenant-bad-y', realmId: '2', accessToken: canaryToken('AT', 4002) }); // line 4003: no refresh token, no expiry
    lines[5002] = JSON.stringify({
      tenantId: 'tenant-bad-z',
      realmId: '3',
      refreshToken: canaryToken('RT', 5002),
      accessTokenExpiresAt: 'next tuesday',
    }); // line 5003
    lines[7776] = JSON.stringify({ tenantId: 'tenant-bad-1', realmId: `${8_200_000 + 1}`, refreshToken: canaryToken('RT', 7776) }); // line 7777: same as line 2
    lines[9998] = JSON.stringify({ tenantId: 'tenant-bad-w', realmId: '4', refreshToken: `has space ${CANARY}` }); // line 9999
    lines[9999] = JSON.stringify({
      tenantId: 'tenant-bad-v',
      realmId: '5',
      refreshToken: canaryToken('RT', 9999),
      environment: 'production',
    }); // line 10000
    writeFileSync(file, lines.join('\n'));

    const run = await cli(['import', '--file', file], env());
    expect(run.code).toBe(1);
    expectNoToken(run);
    expect(run.err).toContain('line 17: not valid JSON');
    expect(run.err).toMatch(/line 4003: .*refreshToken is required.*accessTokenExpiresAt is required with accessToken/);
    expect(run.err).toContain('line 5003: accessTokenExpiresAt must be an ISO 8601 date or epoch milliseconds');
    expect(run.err).toContain('line 7777: the same tenantId and realmId as line 2');
    expect(run.err).toContain('line 9999: refreshToken must be a token');
    expect(run.err).toContain('line 10000: environment must be sandbox');
    expect(run.err).toContain('6 bad line(s): nothing was written');
    expect(run.out).toMatch(/bad lines: +6 \(nothing written\)/);
    expect(await count('tenant-bad-')).toBe(0);
  });

  it('CSV with a header (snake_case names, quoted fields); --overwrite replaces what is stored', async () => {
    const file = join(dir, 'from-intuit-oauth.csv');
    const rt1 = canaryToken('RT', 1);
    const rt2 = canaryToken('RT', 2);
    writeFileSync(
      file,
      `tenant_id,realm_id,refresh_token,scopes\n"tenant-csv, inc",7300001,${rt1},"com.intuit.quickbooks.accounting openid"\n\ntenant-csv-b,7300002,"${rt2}",\n`,
    );
    const first = await cli(['import', '--file', file], env());
    expect(first.code).toBe(0);
    expectNoToken(first);
    expect(first.out).toMatch(/imported: +2/);
    expect((await storage.get({ tenantId: 'tenant-csv, inc', realmId: '7300001' }))!).toMatchObject({
      refreshToken: rt1,
      scopes: ['com.intuit.quickbooks.accounting', 'openid'],
    });

    const rt1b = canaryToken('RT', 11);
    writeFileSync(file, `tenant_id,realm_id,refresh_token\n"tenant-csv, inc",7300001,${rt1b}\n`);
    expect((await cli(['import', '--file', file], env())).out).toMatch(/already stored: +1/);
    expect((await storage.get({ tenantId: 'tenant-csv, inc', realmId: '7300001' }))!.refreshToken).toBe(rt1);
    const over = await cli(['import', '--file', file, '--overwrite'], env());
    expect(over.out).toMatch(/overwritten: +1/);
    expect((await storage.get({ tenantId: 'tenant-csv, inc', realmId: '7300001' }))!.refreshToken).toBe(rt1b);

    writeFileSync(file, 'tenant_id,realm,refresh_token\n');
    const badHeader = await cli(['import', '--file', file], env());
    expect(badHeader.code).toBe(2);
    expect(badHeader.err).toContain('unknown column(s) "realm"');
  });

  it('--verify refreshes each connection at the rate given, reports the dead ones, and resumes from its state file', async () => {
    const minted = emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 6 });
    const file = join(dir, 'verify.jsonl');
    const rows = [
      ...minted.map((m, i) => ({ tenantId: `tenant-ver-${i}`, realmId: m.realmId, refreshToken: m.refresh_token })),
      { tenantId: 'tenant-ver-dead-1', realmId: '7400001', refreshToken: canaryToken('RT', 1) }, // unknown to Intuit
      { tenantId: 'tenant-ver-dead-2', realmId: '7400002', refreshToken: canaryToken('RT', 2) },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const secrets = minted.map((m) => m.refresh_token);
    const tokenCalls = () => emulator.state.statsSnapshot().calls.byGrant.refresh_token ?? 0;

    // Intuit fails the first call and the refresher's in-doubt retry of it: that connection gets no verdict, and the run says so.
    emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503, count: 2, grantType: 'refresh_token' });
    const started = Date.now();
    const first = await cli(['import', '--file', file, '--verify', '--rate', '50'], env());
    // Paced: 8 verifications at 50/s are at least 7 intervals of 20 ms apart (a lower bound only).
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(first.code).toBe(1);
    expectNoToken(first);
    for (const s of secrets) expect(`${first.out}${first.err}`).not.toContain(s);
    expect(first.out).toMatch(/without a verdict: +1/);
    expect(first.out).toMatch(/verified alive: +5/);
    expect(first.out).toMatch(/dead: +2/);
    expect(first.out).toContain('tenant tenant-ver-dead-1, realm 7400001');
    expect(first.out).toContain('tenant tenant-ver-dead-2, realm 7400002');
    expect(first.err).toMatch(/verified 8\/8/);
    const state = readFileSync(`${file}.verify-state`, 'utf8');
    expect(state).not.toContain(CANARY);
    expect(state.trim().split('\n')).toHaveLength(7);

    // The rerun verifies only the one without a verdict.
    const calls = tokenCalls();
    const second = await cli(['import', '--file', file, '--verify', '--json'], env());
    expect(second.code).toBe(0);
    const report = JSON.parse(second.out) as ImportReport;
    expect(report).toMatchObject({ existing: 8, imported: 0 });
    expect(report.verify).toMatchObject({ alive: 6, unknown: 0, skippedFromState: 7 });
    expect(report.verify!.dead.map((d) => d.realmId).sort()).toEqual(['7400001', '7400002']);
    expect(tokenCalls() - calls).toBe(1);
    // Verified connections hold fresh tokens; dead ones need a reconnect.
    expect((await storage.get({ tenantId: 'tenant-ver-0', realmId: minted[0].realmId }))!.accessTokenExpiresAt.getTime()).toBeGreaterThan(
      Date.now(),
    );
    expect((await storage.get({ tenantId: 'tenant-ver-dead-1', realmId: '7400001' }))!.status).toBe('needs_reauth');
  });

  it('refuses conflicting or missing options with exit code 2', async () => {
    expect((await cli(['import'], env())).err).toContain('option --file is required');
    const both = await cli(['import', '--file', 'x.jsonl', '--dry-run', '--verify'], env());
    expect(both.code).toBe(2);
    expect(both.err).toContain('cannot be combined with --dry-run');
    expect((await cli(['import', '--file', 'x.jsonl', '--rate', '3'], env())).err).toContain('--rate and --state go with --verify');
    expect((await cli(['import', '--file', join(dir, 'missing.jsonl')], env())).err).toContain('cannot read');
  });
});
