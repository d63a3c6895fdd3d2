/**
 * `npm run docs:api` (typedoc.json) builds the API reference of both entry points, `.` and
 * `./testing`, without errors or warnings: a referenced but unexported type, or an export (class,
 * interface, function, type, constant, method, accessor) without a doc comment, fails here too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

describe('typedoc API reference', () => {
  const out = mkdtempSync(join(tmpdir(), 'qb-typedoc-'));
  let run: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    // ./testing types against the emulator's declarations (`npm run build:emulator`, as in `npm test`).
    if (!existsSync(join(ROOT, 'dist', 'libs', 'intuit-emulator', 'index.d.ts'))) {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'libs', 'intuit-emulator', 'tsconfig.lib.json')],
        { cwd: ROOT },
      );
    }
    run = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', join(ROOT, 'typedoc.json'), '--out', out],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      },
    );
  }, 250_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs without errors or warnings', () => {
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    expect({ status: run.status, warnings: output.split('\n').filter((l) => /\[(warning|error)\]/.test(l)) }).toEqual({
      status: 0,
      warnings: [],
    });
  });

  it.each(['TokenService', 'ConnectService', 'QuickBooksAuthModule'])('documents %s', (name) => {
    const page = join(out, 'classes', `_quickbooks-auth_nestjs.${name}.html`);
    expect(existsSync(page)).toBe(true);
    expect(readFileSync(page, 'utf8')).toContain(name);
  });

  it('documents the public methods and the options interface', () => {
    const tokenService = readFileSync(join(out, 'classes', '_quickbooks-auth_nestjs.TokenService.html'), 'utf8');
    for (const method of ['getAccessToken', 'withAccessToken', 'listConnections']) expect(tokenService).toContain(method);
    const connect = readFileSync(join(out, 'classes', '_quickbooks-auth_nestjs.ConnectService.html'), 'utf8');
    for (const method of ['createAuthorizeUrl', 'handleCallback', 'disconnect']) expect(connect).toContain(method);
    expect(existsSync(join(out, 'interfaces', '_quickbooks-auth_nestjs.QuickBooksAuthModuleOptions.html'))).toBe(true);
  });

  it('documents the ./testing entry point', () => {
    const testing = readFileSync(join(out, 'modules', '_quickbooks-auth_nestjs_testing.html'), 'utf8');
    for (const name of ['createQuickBooksTestingModule', 'describeTokenStorageConformance', 'RecordingLogger'])
      expect(testing).toContain(name);
    expect(existsSync(join(out, 'functions', '_quickbooks-auth_nestjs_testing.createQuickBooksTestingModule.html'))).toBe(true);
  });
});
