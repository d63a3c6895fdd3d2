/**
 * `npm run reencrypt` in this repository: the same as the packaged `quickbooks-auth reencrypt`
 * (src/cli/reencrypt.command.ts) — every stored token re-encrypted under the newest key.
 */
import 'reflect-metadata';
import { runQuickBooksAuthCli } from './run-cli';

void runQuickBooksAuthCli(['reencrypt', ...process.argv.slice(2)]).then((code) => process.exit(code));
