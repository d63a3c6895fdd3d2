import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageOptions } from './storage-options.interface';

/** How long a start-up probe of Redis may take to connect. */
const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Checks at start-up what the backends would otherwise only find out on first use: a Redis URL
 * nothing answers at (the module's own client reconnects forever and reports only "max retries"),
 * a file directory this process cannot write. Throws the driver's own error; the caller names the setting.
 */
export async function probeStorageTarget(s: StorageOptions): Promise<void> {
  if (s.type === 'redis' && s.url && !s.client) await probeRedisUrl(s.url);
  if (s.type === 'file') await probeWritableDirectory(s.directory);
}

/** One connection without retries: its error is the real cause (ECONNREFUSED, ENOTFOUND, WRONGPASS). */
async function probeRedisUrl(url: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require('ioredis') as typeof import('ioredis').default;
  const probe = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  });
  // Without retries connect() only says "Connection is closed": the cause arrives as an event.
  let cause: unknown = null;
  probe.on('error', (err: unknown) => (cause ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw cause ?? err;
  } finally {
    // On an ended client disconnect() would arm a 2 s timer that keeps the process alive.
    if (probe.status !== 'end') probe.disconnect();
  }
}

async function probeWritableDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const file = join(directory, `.write-probe-${process.pid}`);
  await writeFile(file, '', { mode: 0o600 });
  await rm(file, { force: true });
}
