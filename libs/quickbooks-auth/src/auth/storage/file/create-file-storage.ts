import { join } from 'node:path';
import type { IntuitEnvironment } from '../../../domain/connection.interface';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type { FileStorageOptions } from '../storage-options.interface';
import type { StorageHandle } from '../storage-handle';
import { FileStateNonceStore } from './file-state-nonce.store';
import { FileTokenStorage } from './file-token-storage';

/** Connections and state nonces as files under one directory (every process on the host shares them). */
export function createFileStorage(s: FileStorageOptions, environment: IntuitEnvironment, cipher: TokenCipher): StorageHandle {
  return {
    storage: new FileTokenStorage({ directory: s.directory, environment }, cipher),
    nonces: new FileStateNonceStore(join(s.directory, 'oauth-states')),
    dispose: async () => undefined,
  };
}
