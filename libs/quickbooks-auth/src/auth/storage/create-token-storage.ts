import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { ConfigurationError } from '../../errors/configuration.error';
import type { TokenCipher } from '../../utils/crypto/token-cipher';
import { MemoryStateNonceStore } from '../state/memory-state-nonce.store';
import type { Redis as RedisClient } from 'ioredis';
import { MemoryTokenStorage } from './memory/memory-token-storage';
import { RedisTokenStorage } from './redis/redis-token-storage';
import { RedisStateNonceStore } from '../state/redis-state-nonce.store';
import { FileTokenStorage } from './file/file-token-storage';
import { FileStateNonceStore } from '../state/file-state-nonce.store';
import { join } from 'node:path';
import { createTypeOrmStorage } from './create-typeorm-storage';
import type { StorageHandle } from './storage-handle';


const nothing = async () => undefined;

/**
 * Builds the configured backend. Drivers are loaded lazily (TypeORM loads mysql2/better-sqlite3
 * itself; ioredis is required here) so a host only installs the driver it uses.
 */
export async function createTokenStorage(options: ResolvedQuickBooksAuthOptions, cipher: TokenCipher): Promise<StorageHandle> {
  const s = options.storage;
  switch (s.type) {
    case 'memory': {
      return { storage: new MemoryTokenStorage(cipher), nonces: new MemoryStateNonceStore(), dispose: nothing };
    }
    case 'custom':
      return { storage: s.storage, nonces: new MemoryStateNonceStore(), dispose: nothing };
    case 'redis': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Redis = require('ioredis') as typeof import('ioredis').default;
      const owned = !s.client;
      if (!s.client && !s.url) throw new ConfigurationError(['storage.client or storage.url is required for redis storage']);
      // Reconnects by itself after a Redis restart; commands fail fast while it is down.
      // The option is typed structurally (no ioredis in the public typings); it is an ioredis client.
      const client: RedisClient = (s.client as RedisClient | undefined) ?? new Redis(s.url!, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
      if (owned) client.on('error', () => undefined); // surfaced through ping()/health, not as unhandled events
      return {
        storage: new RedisTokenStorage(client, cipher, { keyPrefix: s.keyPrefix }),
        nonces: new RedisStateNonceStore(client, s.keyPrefix ?? 'qb:'),
        dispose: owned ? async () => void (await client.quit().catch(() => client.disconnect())) : nothing,
      };
    }
    case 'file': {
      return {
        storage: new FileTokenStorage({ directory: s.directory, environment: options.environment }, cipher),
        nonces: new FileStateNonceStore(join(s.directory, 'oauth-states')),
        dispose: nothing,
      };
    }
    case 'typeorm': {
      return createTypeOrmStorage(s, cipher);
    }
    default:
      throw new ConfigurationError([`storage.type "${(s as { type: string }).type}" is not supported`]);
  }
}
