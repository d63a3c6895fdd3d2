import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '@quickbooks-auth/nestjs/cli/cli-io';
import { runQuickBooksAuthCli } from '@quickbooks-auth/nestjs/cli/run-cli';

const ROOT = join(__dirname, '..', '..');

/** `--env-file`, found by node:util parseArgs and taken off the line before the command's strict parse. */
describe('quickbooks-auth --env-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qb-env-file-'));
  const file = join(dir, '.env');
  writeFileSync(file, '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty: false, env };
    const code = await runQuickBooksAuthCli(argv, io);
    return { code, out, err, env: io.env };
  };

  /** In a child process: process.loadEnvFile writes the real environment, which Jest's sandboxed process.env does not show. */
  const runMigrateCli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(ROOT, 'libs', 'quickbooks-auth', 'src', 'cli', 'migrate.cli.ts'),
        ...args,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
        timeout: 60_000,
      },
    );

  it('--env-file FILE loads the file before the command parses its own flags; --env-file=FILE too, values already set winning', () => {
    writeFileSync(file, `QB_SQLITE_PATH=${join(dir, 'from-file.sqlite')}\n`);
    const fromFile = runMigrateCli(['--dry-run', '--env-file', file]);
    expect({ status: fromFile.status, out: fromFile.stdout }).toEqual({ status: 0, out: expect.stringContaining('from-file.sqlite') });
    const alreadySet = runMigrateCli([`--env-file=${file}`, '--dry-run'], { QB_SQLITE_PATH: join(dir, 'already-set.sqlite') });
    expect({ status: alreadySet.status, out: alreadySet.stdout }).toEqual({
      status: 0,
      out: expect.stringContaining('already-set.sqlite'),
    });
    expect(alreadySet.stdout).not.toContain('from-file.sqlite');
  }, 120_000);

  it('refuses --env-file without a value, and still refuses unknown flags, with exit code 2', async () => {
    for (const argv of [
      ['migrate', '--env-file'],
      ['migrate', '--env-file='],
    ]) {
      const r = await run(argv);
      expect(r).toMatchObject({ code: 2, err: expect.stringContaining('quickbooks-auth migrate: option --env-file needs a value') });
    }
    const unknown = await run(['migrate', '--env-file', file, '--bogus']);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('quickbooks-auth migrate: unknown option --bogus') });
  });
});
