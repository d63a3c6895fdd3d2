import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { ConnectionImport, type VerifyOutcome } from '../auth/import/connection-import.service';
import type { ImportedConnection, ImportOutcome } from '../auth/import/imported-connection';
import type { ValidImport } from '../auth/import/import-validation';
import type { CliCommand } from './cli-command';
import type { CliIo } from './cli-io';
import { CliUsageError } from './cli-usage.error';
import { openConfiguredModule } from './configured-module';
import { describeError } from './database-target';
import { ExitCode } from './exit-codes';
import { parseCsv, parseJsonLines, type ImportLine } from './import-file';
import { parseCommandLine, positiveInteger } from './parse-command-line';
import { describeStore } from './store-description';

const USAGE = `usage: quickbooks-auth import --file FILE [--format jsonl|csv] [--dry-run] [--overwrite]
                              [--verify [--rate N] [--state FILE]] [--concurrency N] [--json]

Imports connections made elsewhere (intuit-oauth, a hand-rolled table) so customers need not
reconnect. One connection per line: JSON lines, or CSV with a header. Fields: tenantId, realmId,
refreshToken (required), environment, accessToken + accessTokenExpiresAt, refreshTokenExpiresAt,
refreshTokenHardExpiresAt, scopes (snake_case names work too). Dates: ISO 8601 or epoch ms.
Every line is validated first: if any is bad, each is reported by line number and nothing is
written. Tokens are encrypted like every stored row and never printed. See docs/importing.md.

  --file FILE        the file to import
  --format F         jsonl or csv (default: csv for a .csv file, else jsonl)
  --dry-run          validate and look up existing connections; write nothing
  --overwrite        replace connections that already exist (default: leave them, counted as existing)
  --verify           after the import, refresh each connection of the file once to see which are dead
  --rate N           verifications per second (default 5)
  --state FILE       where --verify records its verdicts, to resume after a stop (default FILE.verify-state)
  --concurrency N    writes in flight at once (default 8)
  --json             the summary as JSON on stdout
  -h, --help         this text

Exit codes: 0 done, 1 bad lines (nothing written), a store failure, or verifications without a
verdict (run again with --verify to resume), 2 bad option or variable.`;

/** The summary: counts and ids only, never a token. */
export interface ImportReport {
  file: string;
  dryRun: boolean;
  lines: number;
  invalid: Array<{ line: number; problem: string }>;
  imported: number;
  overwritten: number;
  existing: number;
  verify: {
    alive: number;
    dead: Array<{ line: number; tenantId: string; realmId: string }>;
    unknown: number;
    skippedFromState: number;
  } | null;
}

interface Verdict {
  tenantId: string;
  realmId: string;
  result: VerifyOutcome;
}

function readLines(file: string, format: string): ImportLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliUsageError(`option --file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (format === 'jsonl') return parseJsonLines(text);
  const csv = parseCsv(text);
  if ('headerProblem' in csv) throw new CliUsageError(`--file ${file}: ${csv.headerProblem}`);
  return csv.lines;
}

/** Progress on stderr: one redrawn line on a terminal, a line every few seconds in a log. */
function progressPrinter(io: CliIo): (line: string, final?: boolean) => void {
  let lastPrinted = 0;
  return (line, final = false) => {
    if (io.errIsTty) io.err(`\r${line}${final ? '\n' : ''}`);
    else if (final || Date.now() - lastPrinted >= 2_000) {
      lastPrinted = Date.now();
      io.err(`${line}\n`);
    }
  };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const refKey = (r: { tenantId: string; realmId: string }) => `${r.tenantId}\u0000${r.realmId}`;

function loadVerdicts(stateFile: string): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();
  if (!existsSync(stateFile)) return verdicts;
  for (const raw of readFileSync(stateFile, 'utf8').split('\n')) {
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as Verdict;
      if (typeof v.tenantId === 'string' && typeof v.realmId === 'string' && (v.result === 'alive' || v.result === 'dead'))
        verdicts.set(refKey(v), v);
    } catch {
      // a line cut short by a stop: that connection is verified again
    }
  }
  return verdicts;
}

/** `quickbooks-auth import`: bring existing connections in without a reconnect (issue 16, part 2). */
export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import connections from a JSON-lines or CSV file (no reconnect)',
  usage: USAGE,
  async run(argv, io) {
    const flags = parseCommandLine(argv, {
      file: { type: 'string' },
      format: { type: 'string' },
      'dry-run': { type: 'boolean' },
      overwrite: { type: 'boolean' },
      verify: { type: 'boolean' },
      rate: { type: 'string' },
      state: { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help) {
      io.out(`${USAGE}\n`);
      return ExitCode.ok;
    }
    const file = flags.file as string | undefined;
    if (!file) throw new CliUsageError('option --file is required');
    const format = (flags.format as string | undefined) ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
    if (format !== 'jsonl' && format !== 'csv') throw new CliUsageError(`option --format must be jsonl or csv (got "${format}")`);
    const dryRun = flags['dry-run'] === true;
    const verify = flags.verify === true;
    if (dryRun && verify)
      throw new CliUsageError('--verify refreshes (and so rewrites) each connection: it cannot be combined with --dry-run');
    if (!verify && (flags.rate !== undefined || flags.state !== undefined)) throw new CliUsageError('--rate and --state go with --verify');
    const rate = positiveInteger('--rate', flags.rate as string | undefined, 5);
    const concurrency = positiveInteger('--concurrency', flags.concurrency as string | undefined, 8);
    const stateFile = (flags.state as string | undefined) ?? `${file}.verify-state`;
    const lines = readLines(file, format);

    const { app, options } = await openConfiguredModule(io.env);
    const report: ImportReport = { file, dryRun, lines: lines.length, invalid: [], imported: 0, overwritten: 0, existing: 0, verify: null };
    const finish = (code: (typeof ExitCode)[keyof typeof ExitCode]) => {
      if (flags.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else io.out(summaryText(report, describeStore(options.storage)));
      return code;
    };
    try {
      const imports = app.get(ConnectionImport);
      // 1. Validate every line before anything is written.
      const valid: Array<{ line: number; value: ValidImport }> = [];
      const seen = new Map<string, number>();
      for (const l of lines) {
        if ('problem' in l) {
          report.invalid.push({ line: l.line, problem: l.problem });
          continue;
        }
        const checked = imports.validate(l.row);
        if ('problems' in checked) {
          report.invalid.push({ line: l.line, problem: checked.problems.join('; ') });
          continue;
        }
        const key = refKey(checked.value);
        const first = seen.get(key);
        if (first !== undefined) report.invalid.push({ line: l.line, problem: `the same tenantId and realmId as line ${first}` });
        else {
          seen.set(key, l.line);
          valid.push({ line: l.line, value: checked.value });
        }
      }
      if (report.invalid.length) {
        const shown = report.invalid.slice(0, 100);
        io.err(shown.map((p) => `line ${p.line}: ${p.problem}\n`).join(''));
        if (report.invalid.length > shown.length) io.err(`... and ${report.invalid.length - shown.length} more bad line(s)\n`);
        io.err(`${report.invalid.length} bad line(s): nothing was written. Fix them and run again.\n`);
        return finish(ExitCode.failed);
      }
      // 2. Write (or, dry run, look up) each connection.
      const progress = progressPrinter(io);
      let done = 0;
      const line = () =>
        `${dryRun ? 'checked' : 'imported'} ${done}/${valid.length}: ${report.imported} new, ${report.overwritten} overwritten, ${report.existing} already stored`;
      const counters: Record<ImportOutcome, 'imported' | 'overwritten' | 'existing'> = {
        imported: 'imported',
        overwritten: 'overwritten',
        exists: 'existing',
      };
      await pool(valid, concurrency, async ({ value }) => {
        const outcome = await imports.importConnection(value as unknown as ImportedConnection, {
          overwrite: flags.overwrite === true,
          dryRun,
        });
        report[counters[outcome]]++;
        done++;
        progress(line());
      });
      if (valid.length) progress(line(), true);
      // 3. Verify: one refresh each, paced, verdicts appended to the state file as they come.
      if (verify) report.verify = await verifyAll(imports, valid, { rate, stateFile, io });
      return finish(report.verify && report.verify.unknown > 0 ? ExitCode.failed : ExitCode.ok);
    } catch (err) {
      io.err(
        `Import failed on ${describeStore(options.storage)}: ${describeError(err)} (connections written so far are complete; run again to go on)\n`,
      );
      return finish(ExitCode.failed);
    } finally {
      await app.close();
    }
  },
};

async function verifyAll(
  imports: ConnectionImport,
  valid: Array<{ line: number; value: ValidImport }>,
  params: { rate: number; stateFile: string; io: CliIo },
): Promise<NonNullable<ImportReport['verify']>> {
  const verdicts = loadVerdicts(params.stateFile);
  const result: NonNullable<ImportReport['verify']> = { alive: 0, dead: [], unknown: 0, skippedFromState: 0 };
  const progress = progressPrinter(params.io);
  const intervalMs = 1000 / params.rate;
  let nextAt = Date.now();
  let done = 0;
  const line = () =>
    `verified ${done}/${valid.length}: ${result.alive} alive, ${result.dead.length} dead, ${result.unknown} without a verdict`;
  for (const { line: lineNo, value } of valid) {
    const ref = { tenantId: value.tenantId, realmId: value.realmId };
    const known = verdicts.get(refKey(ref));
    let outcome: VerifyOutcome;
    if (known) {
      outcome = known.result;
      result.skippedFromState++;
    } else {
      const wait = nextAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      nextAt = Math.max(nextAt, Date.now()) + intervalMs;
      outcome = await imports.verify(ref).catch(() => 'unknown' as const);
      if (outcome !== 'unknown') appendFileSync(params.stateFile, `${JSON.stringify({ ...ref, result: outcome })}\n`, { mode: 0o600 });
    }
    if (outcome === 'alive') result.alive++;
    else if (outcome === 'dead') result.dead.push({ line: lineNo, ...ref });
    else result.unknown++;
    done++;
    progress(line());
  }
  if (valid.length) progress(line(), true);
  return result;
}

function summaryText(r: ImportReport, store: string): string {
  const out = [`${r.dryRun ? 'Dry run (nothing written)' : 'Import'} of ${r.file} into ${store}: ${r.lines} line(s)`];
  if (r.invalid.length) out.push(`  bad lines:          ${r.invalid.length} (nothing written)`);
  else {
    out.push(`  ${r.dryRun ? 'would import:      ' : 'imported:          '} ${r.imported}`);
    out.push(`  ${r.dryRun ? 'would overwrite:   ' : 'overwritten:       '} ${r.overwritten}`);
    out.push(`  already stored:     ${r.existing}${r.existing ? ' (left as they are; --overwrite replaces them)' : ''}`);
  }
  if (r.verify) {
    out.push(
      `  verified alive:     ${r.verify.alive}${r.verify.skippedFromState ? ` (${r.verify.skippedFromState} from an earlier run's state)` : ''}`,
    );
    out.push(
      `  dead:               ${r.verify.dead.length}${r.verify.dead.length ? ' (Intuit refused the refresh token: these customers must reconnect)' : ''}`,
    );
    for (const d of r.verify.dead) out.push(`    line ${d.line}: tenant ${d.tenantId}, realm ${d.realmId}`);
    if (r.verify.unknown)
      out.push(`  without a verdict:  ${r.verify.unknown} (Intuit unreachable or busy: run again with --verify to resume)`);
  }
  return `${out.join('\n')}\n`;
}
