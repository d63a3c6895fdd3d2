import type { IntuitEnvironment } from '../../domain/connection.interface';
import { ConfigurationError } from '../../errors/configuration.error';
import type { TokenCipher } from '../../utils/crypto/token-cipher';
import { createFileStorage } from './file/create-file-storage';
import { createMemoryStorage } from './memory/create-memory-storage';
import { MemoryStateNonceStore } from './memory/memory-state-nonce.store';
import { createRedisStorage } from './redis/create-redis-storage';
import type { StorageHandle } from './storage-handle';
import type { StorageOptions } from './storage-options.interface';
import { createTypeOrmStorage } from './typeorm/create-typeorm-storage';

/** What storage needs of the resolved options (the resolved options are one; storage does not import config). */
export interface StorageSettings {
  storage: StorageOptions;
  environment: IntuitEnvironment;
}

/**
 * Builds the configured backend; each backend's folder holds its own factory. Drivers are loaded
 * lazily (TypeORM loads mysql2/better-sqlite3 itself; ioredis is required by the redis factory) so a
 * host only installs the driver it uses.
 */
export async function createTokenStorage(options: StorageSettings, cipher: TokenCipher): Promise<StorageHandle> {
  const s = options.storage;
  switch (s.type) {
    case 'memory':
      return createMemoryStorage(cipher);
    case 'custom':
      // The host's store keeps the connections; state nonces are remembered per process.
      return { storage: s.storage, nonces: new MemoryStateNonceStore(), dispose: async () => undefined };
    case 'redis':
      return createRedisStorage(s, cipher);
    case 'file':
      return createFileStorage(s, options.environment, cipher);
    case 'typeorm':
      return createTypeOrmStorage(s, cipher);
    default:
      throw new ConfigurationError([`storage.type "${(s as { type: string }).type}" is not supported`]);
  }
}
