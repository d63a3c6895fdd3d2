import { parseArgs } from 'node:util';
import { isEmulatorEnvironment, type EmulatorOptions } from './config';

export const EMULATOR_USAGE = `usage: intuit-emulator [--port N] [--host H] [--client-id ID --client-secret S --redirect-uri U ...]
                      [--auto-approve] [--quiet] [--control-token T] [--control-host NAME ...]
                      [--intuit-compatible] [--grace-seconds S] [--environment sandbox|production]

A local Intuit OAuth 2.0 server and QBO API slice. Prints its base URL and discovery URL; stops on
SIGINT/SIGTERM.

  --port N            port (default EMULATOR_PORT, else 4100; 0 picks a free one)
  --host H            interface (default 127.0.0.1)
  --client-id ID      register an app (with --client-secret and one --redirect-uri per callback URL);
  --client-secret S   or register apps later with POST /_emulator/clients
  --redirect-uri U    repeatable; must match the app's callback exactly
  --auto-approve      approve consent without showing the page
  --quiet             no per-request log lines
  --control-token T   the control API (/_emulator/) requires "Authorization: Bearer T" (or set
                      EMULATOR_CONTROL_TOKEN, which stays out of \`ps\`)
  --control-host NAME repeatable; a Host name the control API answers to besides loopback
  --intuit-compatible id_token iss and discovery issuer are Intuit's https://oauth.platform.intuit.com/op/v1
                      (what intuit-oauth's validateIdToken() requires)
  --grace-seconds S   a superseded refresh token still refreshes for S emulator seconds after
                      rotation (default 0, as Intuit today)
  --environment E     sandbox (default) or production: the environment of clients registered
                      without one (--client-id's too) and of the un-prefixed QBO API and userinfo
                      paths; /sandbox/... and /production/... name one explicitly
  -h, --help          this text

Exit codes: 0 stopped by a signal, 1 could not start (port in use...), 2 bad option.`;

/** A bad command line, named: exit code 2. */
export class EmulatorUsageError extends Error {}

/** The CLI's flags as `startEmulator` options, or `help`. Errors name the flag. */
export function emulatorOptionsFromArgs(argv: string[], env: NodeJS.ProcessEnv): EmulatorOptions | 'help' {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'auto-approve': { type: 'boolean' },
        quiet: { type: 'boolean' },
        'control-token': { type: 'string' },
        'control-host': { type: 'string', multiple: true },
        'intuit-compatible': { type: 'boolean' },
        'grace-seconds': { type: 'string' },
        environment: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    const message = (err as Error).message;
    const flag = /'(-[^' ]*)/.exec(message)?.[1];
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new EmulatorUsageError(`unknown option ${flag}`);
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new EmulatorUsageError(`option ${flag} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}`);
    throw new EmulatorUsageError(message);
  }
  if (values.help) return 'help';
  const rawPort = (values.port as string | undefined) ?? env.EMULATOR_PORT ?? '4100';
  const port = Number(rawPort);
  if (rawPort.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EmulatorUsageError(
      `${values.port !== undefined ? 'option --port' : 'EMULATOR_PORT'} must be a port number 0-65535 (got "${rawPort}")`,
    );
  }
  const options: EmulatorOptions = { port, host: (values.host as string | undefined) ?? '127.0.0.1', quiet: values.quiet === true };
  const clientId = values['client-id'] as string | undefined;
  const clientSecret = values['client-secret'] as string | undefined;
  const redirectUris = (values['redirect-uri'] as string[] | undefined) ?? [];
  if (clientId) {
    if (!clientSecret) throw new EmulatorUsageError('option --client-secret is required with --client-id');
    options.clients = [{ clientId, clientSecret, redirectUris }];
  } else if (clientSecret || redirectUris.length) {
    throw new EmulatorUsageError(`option ${clientSecret ? '--client-secret' : '--redirect-uri'} needs --client-id`);
  }
  if (values['auto-approve']) options.autoApprove = true;
  const controlToken = (values['control-token'] as string | undefined) ?? env.EMULATOR_CONTROL_TOKEN;
  if (controlToken) options.controlToken = controlToken;
  const controlHosts = values['control-host'] as string[] | undefined;
  if (controlHosts?.length) options.controlHosts = controlHosts;
  if (values['intuit-compatible']) options.intuitCompatible = true;
  const grace = values['grace-seconds'] as string | undefined;
  if (grace !== undefined) {
    const seconds = Number(grace);
    if (grace.trim() === '' || !Number.isFinite(seconds) || seconds < 0)
      throw new EmulatorUsageError(`option --grace-seconds must be a number of seconds >= 0 (got "${grace}")`);
    options.refreshGraceSeconds = seconds;
  }
  const environment = values.environment as string | undefined;
  if (environment !== undefined) {
    if (!isEmulatorEnvironment(environment))
      throw new EmulatorUsageError(`option --environment must be sandbox or production (got "${environment}")`);
    options.environment = environment;
  }
  return options;
}
