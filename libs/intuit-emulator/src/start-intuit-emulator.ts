import type { EmulatorOptions } from './config';
import { startEmulator, type RunningEmulator } from './emulator';

/**
 * Starts an emulator in this process for a test suite: a free port on 127.0.0.1, no request log,
 * every Intuit default unless overridden. Close it in `afterAll` (it also destroys keep-alive
 * sockets, so Jest exits cleanly).
 *
 * ```ts
 * let intuit: RunningEmulator;
 * beforeAll(async () => { intuit = await startIntuitEmulator({ clients: [{ clientId, clientSecret, redirectUris: [redirectUri] }] }); });
 * afterAll(() => intuit.close());
 * // point the module at it: QuickBooksAuthModule.forRoot({ ..., intuitBaseUrl: intuit.url })
 * ```
 */
export function startIntuitEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, host: '127.0.0.1', quiet: true, ...options });
}
