import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';

export const DEMO_CLIENT_ID = 'demo-client';
export const DEMO_EMULATOR_PORT = 4100;

/**
 * Starts the in-process Intuit emulator with short lifetimes so refreshes (5 min access tokens)
 * and rotations (15 min) are visible while you watch. Falls back to a random port if 4100 is taken.
 */
export async function startDemoEmulator(params: { clientSecret: string; redirectUris: string[]; port?: number }): Promise<RunningEmulator> {
  const options = {
    clients: [{ clientId: DEMO_CLIENT_ID, clientSecret: params.clientSecret, redirectUris: params.redirectUris }],
    accessTokenTtlSeconds: 300,
    refreshRotationSeconds: 900,
  };
  const port = params.port ?? DEMO_EMULATOR_PORT;
  try {
    return await startEmulator({ ...options, port });
  } catch (err) {
    if (port !== 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') return startEmulator({ ...options, port: 0 });
    throw err;
  }
}
