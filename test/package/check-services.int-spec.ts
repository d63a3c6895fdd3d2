/**
 * `npm test` on a fresh machine: scripts/check-services.js runs first and, for each missing system
 * tool, names the one command that installs it (the tools are pointed at paths that do not exist).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './packed-tarballs';

function checkServices(env: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-services.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('scripts/check-services.js', () => {
  it('passes when the servers answer and the tools are installed', () => {
    const run = checkServices({});
    expect(run).toEqual({ status: 0, output: expect.stringContaining('services ok') });
  });

  it('names the install command of each missing tool, and fails', () => {
    const run = checkServices({ CHROMIUM_PATH: '/nonexistent/chromium', PROMTOOL_PATH: '/nonexistent/promtool' });
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      'Chromium (browser test of the example page) is not installed.\n  Install it:  apt-get update && apt-get install -y chromium',
    );
    expect(run.output).toContain(
      'promtool (alert rules and /metrics checks) is not installed.\n  Install it:  apt-get update && apt-get install -y --no-install-recommends prometheus',
    );
  });

  it('names how to start an unreachable server', () => {
    const run = checkServices({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable[\s\S]*Start it: {2}redis-server/);
  });

  it('names how to start an unreachable PostgreSQL, password masked', () => {
    const run = checkServices({ POSTGRES_URL: 'postgres://postgres:pg-secret@127.0.0.1:1/test' });
    expect(run.status).toBe(1);
    expect(run.output).toMatch(
      /PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test is unreachable \(ECONNREFUSED\)[\s\S]*Start it: {2}pg_ctlcluster --skip-systemctl-redirect \$\(ls \/etc\/postgresql\) main start/,
    );
    expect(run.output).not.toContain('pg-secret');
  });
});
