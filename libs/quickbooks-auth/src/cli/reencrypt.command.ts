import type { ReencryptionReport } from '../maintenance/key-rotation.service';
import { KeyRotationService } from '../maintenance/key-rotation.service';
import type { CliCommand } from './cli-command';
import type { CliIo } from './cli-io';
import { openConfiguredModule } from './configured-module';
import { describeError } from './database-target';
import { ExitCode } from './exit-codes';
import { parseCommandLine, positiveInteger } from './parse-command-line';
import { describeStore } from './store-description';

const USAGE = `usage: quickbooks-auth reencrypt [--batch-size N]

Re-encrypts every stored token under the newest key of QB_ENCRYPTION_KEYS, so older keys can be
removed. Safe while the app runs. Reads the same variables as the app (QB_STORAGE, DATABASE_URL,
REDIS_URL, QB_ENCRYPTION_KEYS, QB_CLIENT_ID, ...; see docs/configuration.md).

  --batch-size N  connections read per page (default 500); progress is printed after each page
  -h, --help      this text

Exit codes: 0 every connection is under the newest key, 1 some could not be re-encrypted (the
count is printed; each is logged by tenant and realm) or the store failed, 2 bad option or variable.`;

/** Progress on stderr: one redrawn line on a terminal, a line every few seconds in a log. */
function progressPrinter(io: CliIo): (r: ReencryptionReport, final?: boolean) => void {
  let lastPrinted = 0;
  let lastLine = '';
  return (r, final = false) => {
    const line = `scanned ${r.scanned}, re-encrypted ${r.reencrypted}, failed ${r.failed}`;
    if (io.errIsTty) io.err(`\r${line}${final ? '\n' : ''}`);
    else if ((final && line !== lastLine) || (!final && Date.now() - lastPrinted >= 2_000)) {
      lastPrinted = Date.now();
      lastLine = line;
      io.err(`${line}\n`);
    }
  };
}

/** `quickbooks-auth reencrypt`: key rotation's second step. */
export const reencryptCommand: CliCommand = {
  name: 'reencrypt',
  summary: 're-encrypt every stored token under the newest key',
  usage: USAGE,
  async run(argv, io) {
    const flags = parseCommandLine(argv, { 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (flags.help) {
      io.out(`${USAGE}\n`);
      return ExitCode.ok;
    }
    const batchSize = positiveInteger('--batch-size', flags['batch-size'] as string | undefined, 500);
    const { app, options } = await openConfiguredModule(io.env);
    try {
      const started = Date.now();
      const progress = progressPrinter(io);
      const report = await app.get(KeyRotationService).reencryptAll({ batchSize, onProgress: (r) => progress(r) });
      progress(report, true);
      io.out(
        `Re-encrypted ${report.reencrypted} of ${report.scanned} connection(s) on ${describeStore(options.storage)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${report.failed} failed\n`,
      );
      return report.failed === 0 ? ExitCode.ok : ExitCode.failed;
    } catch (err) {
      io.err(`Re-encryption failed on ${describeStore(options.storage)}: ${describeError(err)}\n`);
      return ExitCode.failed;
    } finally {
      await app.close();
    }
  },
};
