/**
 * A new user's first hour, as a test (docs/quick-start.md, whose files it runs): both tarballs `npm run pack` makes are installed into a
 * throwaway Nest app outside the repository, offline from the npm cache the repository's `npm ci`
 * filled; the app compiles with `skipLibCheck: false`; the emulator runs through its own command,
 * the schema through `quickbooks-auth migrate`; the app boots with sync `forRoot` on a scratch
 * MariaDB database, connects a realm through the consent page and calls the QBO API through the
 * exported client. Every step is a real process; nothing of this repository is on the app's path.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { createScratchDatabase } from '../support/mariadb';
import { freePort } from '../support/private-servers';
import { testKeyRing, testStateSecret } from '../support/test-keys';
import { quickStartFiles } from './consumer-app';
import { offlineLockfile } from './offline-lockfile';
import { packedTarballs, ROOT } from './packed-tarballs';

const run = promisify(execFile);

/** What a new user installs beside the library: its required peers, the driver, the HTTP platform, the compiler. */
const APP_PACKAGES = [
  '@nestjs/axios',
  '@nestjs/common',
  '@nestjs/config',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/schedule',
  '@nestjs/terminus',
  '@willsoto/nestjs-prometheus',
  'axios',
  'mysql2',
  'prom-client',
  'reflect-metadata',
  'rxjs',
  'typeorm',
  'typescript',
  '@types/node',
];

function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  return lock.packages[`node_modules/${name}`].version;
}

/** The lockfile entry npm writes for a tarball dependency, from the tarball's own manifest. */
function tarballEntry(tarball: string, spec: string): Record<string, unknown> {
  const manifest = JSON.parse(execFileSync('tar', ['xzf', tarball, '-O', 'package/package.json'], { encoding: 'utf8' })) as Record<
    string,
    unknown
  >;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const keep = ['version', 'license', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'];
  return { resolved: spec, integrity, ...Object.fromEntries(keep.filter((k) => manifest[k] !== undefined).map((k) => [k, manifest[k]])) };
}

/** Starts a long-running command and resolves once its stdout shows `ready` (or rejects with its output). */
function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${basename(args[0] ?? command)} did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${basename(args[0] ?? command)} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** The hidden fields and the action of the emulator's consent form. */
function consentForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no consent form in:\n${html}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = m[2]
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
  return { action, fields };
}

describe('a new Nest app that installs the two tarballs', () => {
  const clientId = 'consumer-client-id';
  const clientSecret = `canary-client-secret-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 8)}`;
  const realmId = '9341452000012345';
  let dir: string;
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let emulator: ChildProcess | undefined;
  let app: ChildProcess | undefined;
  let appUrl: string;
  let emulatorUrl: string;
  let appLog: () => string = () => '';
  // A clean environment (nothing of this repository's npm run), keeping where npm's cache and registry are.
  const npmLocation = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^npm_config_(cache|registry)$/i.test(k)));
  const baseEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'production',
    ...npmLocation,
  });

  beforeAll(async () => {
    const packed = packedTarballs();
    dir = mkdtempSync(join(tmpdir(), 'qb-consumer-'));
    mkdirSync(join(dir, 'vendor'));
    mkdirSync(join(dir, 'src'));
    const dependencies: Record<string, string> = Object.fromEntries(APP_PACKAGES.map((name) => [name, lockedVersion(name)]));
    const tarballs: Array<[string, string]> = [
      ['@quickbooks-auth/nestjs', packed.library],
      ['@quickbooks-auth/intuit-emulator', packed.emulator],
    ];
    const lockfile = offlineLockfile(ROOT, { name: 'consumer-app', dependencies }, [...APP_PACKAGES, 'cockatiel', 'jose', 'zod']);
    for (const [name, tarball] of tarballs) {
      const spec = `file:vendor/${basename(tarball)}`;
      copyFileSync(tarball, join(dir, 'vendor', basename(tarball)));
      dependencies[name] = spec;
      lockfile.packages[`node_modules/${name}`] = tarballEntry(tarball, spec);
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, dependencies }, null, 2));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer-app', ...lockfile }, null, 2));
    const quickStart = quickStartFiles(ROOT);
    expect(Object.keys(quickStart.files).sort()).toEqual(['src/main.ts', 'tsconfig.json']);
    for (const [path, content] of Object.entries(quickStart.files)) writeFileSync(join(dir, path), content);
    // The quick start's install line names every package this app installs.
    for (const name of APP_PACKAGES) expect(quickStart.text).toMatch(new RegExp(`\\s${name.replace(/[/.]/g, '\\$&')}@\\d`));

    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env: baseEnv(), timeout: 240_000 });
    db = await createScratchDatabase('qb_consumer');
  }, 300_000);

  afterAll(async () => {
    await stop(app);
    await stop(emulator);
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles with skipLibCheck false against the installed declarations', async () => {
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(run(process.execPath, [tsc, '-p', '.'], { cwd: dir, env: baseEnv(), timeout: 120_000 })).resolves.toBeDefined();
    expect(readFileSync(join(dir, 'dist', 'main.js'), 'utf8')).toContain('require("@quickbooks-auth/nestjs")');
  }, 150_000);

  it('creates the schema with `quickbooks-auth migrate`', async () => {
    const bin = join(dir, 'node_modules', '.bin', 'quickbooks-auth');
    const dry = await run(bin, ['migrate', '--dry-run', '--url', db.url], { cwd: dir, env: baseEnv(), timeout: 60_000 });
    expect(dry.stdout).toMatch(/pending/i);
    const applied = await run(bin, ['migrate', '--url', db.url], { cwd: dir, env: baseEnv(), timeout: 60_000 });
    expect(applied.stdout).toMatch(/applied/i);

    const conn = await mysql.createConnection({ uri: db.url });
    const [rows] = await conn.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [db.name]);
    await conn.end();
    expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(expect.arrayContaining(['quickbooks_connections']));
  }, 90_000);

  it('starts the emulator with its command', async () => {
    const appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    const bin = join(dir, 'node_modules', '.bin', 'intuit-emulator');
    const args = ['--port', '0', '--client-id', clientId, '--client-secret', clientSecret, '--redirect-uri', `${appUrl}/callback`];
    const started = await startProcess(bin, args, { cwd: dir, env: baseEnv() }, /listening on (http:\/\/\S+)/);
    emulator = started.child;
    emulatorUrl = started.match[1];
    const discovery = await fetch(`${emulatorUrl}/.well-known/openid_sandbox_configuration`);
    expect(discovery.status).toBe(200);
  }, 90_000);

  it('boots with sync forRoot, connects a realm through consent, and calls the QBO API', async () => {
    const env = {
      ...baseEnv(),
      PORT: new URL(appUrl).port,
      QB_CLIENT_ID: clientId,
      QB_CLIENT_SECRET: clientSecret,
      QB_REDIRECT_URI: `${appUrl}/callback`,
      QB_INTUIT_BASE_URL: emulatorUrl,
      QB_ENCRYPTION_KEYS: testKeyRing('k1'),
      QB_STATE_SECRET: testStateSecret(),
      DATABASE_URL: db.url,
    };
    const started = await startProcess(process.execPath, ['dist/main.js'], { cwd: dir, env }, /consumer app listening on/);
    app = started.child;
    appLog = started.output;

    const connect = await fetch(`${appUrl}/connect`, { redirect: 'manual' });
    expect(connect.status).toBe(302);
    const authorize = connect.headers.get('location') as string;
    expect(authorize.startsWith(`${emulatorUrl}/`)).toBe(true);

    const consent = await fetch(authorize);
    expect(consent.status).toBe(200);
    const { action, fields } = consentForm(await consent.text());
    const decision = await fetch(new URL(action, emulatorUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, realmId, decision: 'approve' }),
    });
    expect(decision.status).toBe(302);
    const callbackUrl = decision.headers.get('location') as string;
    expect(callbackUrl.startsWith(`${appUrl}/callback?`)).toBe(true);

    const callback = await fetch(callbackUrl);
    expect(await callback.json()).toEqual({ realmId, status: 'active' });
    const company = await fetch(`${appUrl}/company/${realmId}`);
    expect(company.status).toBe(200);
    expect(await company.json()).toEqual({ companyName: `Emulated Company ${realmId}` });

    // Through the exception filter, another realm is a 404, not a 500.
    const other = await fetch(`${appUrl}/company/1234567890`);
    expect(other.status).toBe(404);

    // Stored encrypted: no token the emulator issued and no secret is in the row or the app's log.
    const conn = await mysql.createConnection({ uri: db.url });
    const [rows] = await conn.query('SELECT realm_id, access_token_enc, refresh_token_enc FROM quickbooks_connections');
    await conn.end();
    const stored = rows as Array<{ realm_id: string; access_token_enc: string | null; refresh_token_enc: string | null }>;
    expect(stored.map((r) => r.realm_id)).toEqual([realmId]);
    expect(stored[0].refresh_token_enc).toBeTruthy();
    expect(JSON.stringify(stored)).not.toMatch(/RT1-\d+-H0-/); // the emulator's refresh-token shape, in clear
    expect(appLog()).not.toContain(clientSecret);
    expect(appLog()).not.toContain(env.QB_STATE_SECRET);
  }, 120_000);
});
