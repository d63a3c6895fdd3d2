import { startEmulator } from './emulator';
import type { EmulatorOptions } from './config';

/**
 * `npm run emulator -- --port 4100 [--host 127.0.0.1] [--client-id X --client-secret Y
 * --redirect-uri U (repeatable)] [--auto-approve] [--quiet] [--control-token T]
 * [--control-host NAME (repeatable)]`. The token may come from EMULATOR_CONTROL_TOKEN instead
 * (a flag shows up in `ps`).
 */
function parseArgs(argv: string[]): EmulatorOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`${name}=`));
    return eq?.slice(name.length + 1);
  };
  const all = (name: string): string[] =>
    argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]] : a.startsWith(`${name}=`) ? [a.slice(name.length + 1)] : []));

  const port = Number(get('--port') ?? process.env.EMULATOR_PORT ?? 4100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port ${get('--port')}`);
  const options: EmulatorOptions = { port, host: get('--host') ?? '127.0.0.1', quiet: argv.includes('--quiet') };
  const clientId = get('--client-id');
  if (clientId) {
    const clientSecret = get('--client-secret');
    if (!clientSecret) throw new Error('--client-secret is required with --client-id');
    options.clients = [{ clientId, clientSecret, redirectUris: all('--redirect-uri') }];
  }
  if (argv.includes('--auto-approve')) options.autoApprove = true;
  const controlToken = get('--control-token') ?? process.env.EMULATOR_CONTROL_TOKEN;
  if (controlToken) options.controlToken = controlToken;
  const controlHosts = all('--control-host');
  if (controlHosts.length) options.controlHosts = controlHosts;
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator(options);
  process.stdout.write(`Intuit emulator listening on ${emulator.url}\n`);
  process.stdout.write(`Discovery: ${emulator.discoveryUrl}\n`);
  const access = options.controlToken ? 'bearer token required' : 'no token';
  process.stdout.write(`Control API: ${emulator.url}/_emulator/ (${access}; see libs/intuit-emulator/README.md)\n`);
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
  process.stderr.write(`Intuit emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
