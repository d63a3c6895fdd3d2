/**
 * `npm run migrate -- [--url mysql://… | --sqlite ./qb.sqlite] [--dry-run]` in this repository:
 * the same as the packaged `quickbooks-auth migrate` (src/cli/migrate.command.ts).
 */
import { runQuickBooksAuthCli } from './run-cli';

void runQuickBooksAuthCli(['migrate', ...process.argv.slice(2)]).then((code) => process.exit(code));
