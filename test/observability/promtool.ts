import { spawnSync } from 'node:child_process';

/** Runs promtool (PROMTOOL_PATH, else on PATH; Debian package `prometheus`, .ci/run installs it) and returns its exit code and output. */
export function promtool(args: string[], input?: string): { status: number; output: string } {
  const run = spawnSync(process.env.PROMTOOL_PATH || 'promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (run.error) {
    throw new Error(`promtool is not available (${run.error.message}): apt-get install prometheus (see .ci/run)`);
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}

/** `promtool check metrics` over the module's own series of a /metrics exposition (lint included). */
export function checkQuickBooksMetrics(exposition: string): { status: number; output: string } {
  const quickbooksOnly = exposition
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?quickbooks_/.test(l))
    .join('\n');
  return promtool(['check', 'metrics'], `${quickbooksOnly}\n`);
}
