#!/usr/bin/env node
// The `intuit-emulator` command (package.json `bin`; `npm run emulator --` in this repository).
import { EMULATOR_USAGE, EmulatorUsageError, emulatorOptionsFromArgs } from './cli-options';
import { startEmulator } from './emulator';

async function main(): Promise<void> {
  const options = emulatorOptionsFromArgs(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(`${EMULATOR_USAGE}\n`);
    return;
  }
  const emulator = await startEmulator(options);
  process.stdout.write(`Intuit emulator listening on ${emulator.url}\n`);
  process.stdout.write(`Discovery: ${emulator.discoveryUrl}\n`);
  const access = options.controlToken ? 'bearer token required' : 'no token';
  process.stdout.write(`Control API: ${emulator.url}/_emulator/ (${access}; see the @quickbooks-auth/intuit-emulator README)\n`);
  const shutdown = (signal: string): void => {
    process.stdout.write(`Received ${signal}, shutting down\n`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof EmulatorUsageError) {
    process.stderr.write(`intuit-emulator: ${err.message}\n(intuit-emulator --help for usage)\n`);
    process.exit(2);
  }
  process.stderr.write(`Intuit emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
