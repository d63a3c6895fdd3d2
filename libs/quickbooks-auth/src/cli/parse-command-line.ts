import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from './cli-usage.error';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs in strict mode, its errors turned into CliUsageError naming the option
 * (`unknown option --foo`, `option --url needs a value`). No positionals: every input is a flag.
 */
export function parseCommandLine(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const flag = /'(-[^']*)'/.exec(e.message ?? '')?.[1] ?? /"(-[^"]*)"/.exec(e.message ?? '')?.[1];
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new CliUsageError(`unknown option ${flag ?? ''}`.trim());
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new CliUsageError(
          flag
            ? `option ${flag.split(' ')[0]} ${/argument missing/.test(e.message ?? '') ? 'needs a value' : 'takes no value'}`
            : (e.message ?? 'invalid option value'),
        );
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new CliUsageError(`unexpected argument ${/'([^']*)'/.exec(e.message ?? '')?.[1] ?? ''} (every input is a --flag)`.trim());
      default:
        throw err;
    }
  }
}

/** A flag's value as a positive integer, or a CliUsageError naming the flag. */
export function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new CliUsageError(`option ${flag} must be a positive integer (got "${raw}")`);
  return n;
}
