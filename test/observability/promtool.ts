import { spawnSync } from 'node:child_process';

/** Runs promtool (Debian package `prometheus`; .ci/run installs it) and returns its exit code and output. */
export function promtool(args: string[], input?: string): { status: number; output: string } {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (run.error) {
    throw new Error(`promtool is not available (${run.error.message}): apt-get install prometheus (see .ci/run)`);
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}
