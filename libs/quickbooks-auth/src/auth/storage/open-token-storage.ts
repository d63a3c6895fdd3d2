import { ConfigurationError } from '../../errors/configuration.error';
import type { TokenCipher } from '../../utils/crypto/token-cipher';
import { createTokenStorage, type StorageSettings } from './create-token-storage';
import type { StorageHandle } from './storage-handle';
import { toStorageConnectionError } from './storage-connection-failure';
import { probeStorageTarget } from './storage-startup-probe';

/**
 * Opens the configured store at start-up and proves it answers (one ping), so a bad setting stops
 * the app at boot with a StorageConnectionError that names it, instead of a raw driver error now or
 * failing refreshes later. What was opened is closed again on failure.
 */
export async function openTokenStorage(options: StorageSettings, cipher: TokenCipher): Promise<StorageHandle> {
  let handle: StorageHandle | null = null;
  try {
    await probeStorageTarget(options.storage);
    handle = await createTokenStorage(options, cipher);
    await handle.storage.ping();
    return handle;
  } catch (err) {
    await handle?.dispose().catch(() => undefined);
    if (err instanceof ConfigurationError) throw err;
    throw toStorageConnectionError(options.storage, err);
  }
}
