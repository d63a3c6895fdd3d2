import { parseArgs } from 'node:util';
import type { CliCommand } from './cli-command';
import { processIo, type CliIo } from './cli-io';
import { CliUsageError } from './cli-usage.error';
import { describeError } from './database-target';
import { ExitCode, type ExitCodeValue } from './exit-codes';
import { importCommand } from './import.command';
import { migrateCommand } from './migrate.command';
import { reencryptCommand } from './reencrypt.command';
import { statusCommand } from './status.command';

const COMMANDS: CliCommand[] = [migrateCommand, reencryptCommand, statusCommand, importCommand];

const USAGE = `usage: quickbooks-auth <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Every command reads the app's variables (DATABASE_URL, QB_STORAGE, QB_ENCRYPTION_KEYS, ...) and
takes --env-file FILE to load them from a .env file first. \`quickbooks-auth <command> --help\` for more.
Exit codes: 0 done, 1 failed, 2 bad option or variable.`;

/**
 * `--env-file FILE` anywhere on the line: loaded into `io.env` (values already set win), then
 * removed. parseArgs finds it (non-strict: the command's own flags are parsed, strictly, later).
 */
function takeEnvFile(argv: string[], io: CliIo): string[] {
  const { tokens } = parseArgs({
    args: argv,
    options: { 'env-file': { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const taken = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name !== 'env-file' || token.rawName !== '--env-file') continue;
    taken.add(token.index);
    if (!token.inlineValue && token.value !== undefined) taken.add(token.index + 1);
    const file = token.value;
    if (!file) throw new CliUsageError('option --env-file needs a value');
    const before = { ...io.env };
    try {
      // process.loadEnvFile writes process.env; copy what it read into io.env without overriding.
      process.loadEnvFile(file);
    } catch (err) {
      throw new CliUsageError(`option --env-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    for (const [k, v] of Object.entries(process.env)) if (before[k] === undefined && v !== undefined) io.env[k] = v;
  }
  return argv.filter((_, i) => !taken.has(i));
}

/**
 * The `quickbooks-auth` command: dispatches to migrate, reencrypt, status or import and turns every
 * failure into a message and an exit code (never a stack trace, never a secret).
 */
export async function runQuickBooksAuthCli(argv: string[], io: CliIo = processIo): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${USAGE}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`quickbooks-auth: unknown command "${name}" (expected ${COMMANDS.map((c) => c.name).join(', ')})\n\n${USAGE}\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(takeEnvFile(rest, io), io);
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`quickbooks-auth ${command.name}: ${err.message}\n(quickbooks-auth ${command.name} --help for usage)\n`);
      return ExitCode.usage;
    }
    io.err(`quickbooks-auth ${command.name} failed: ${describeError(err)}\n`);
    return ExitCode.failed;
  }
}
