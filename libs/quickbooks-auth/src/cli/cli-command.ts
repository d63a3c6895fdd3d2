import type { CliIo } from './cli-io';
import type { ExitCodeValue } from './exit-codes';

/** One subcommand of `quickbooks-auth`. */
export interface CliCommand {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** The full `--help` text. */
  usage: string;
  run(argv: string[], io: CliIo): Promise<ExitCodeValue>;
}
