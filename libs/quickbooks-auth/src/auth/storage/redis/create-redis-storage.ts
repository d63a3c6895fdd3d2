import type { Redis as RedisClient } from 'ioredis';
import { ConfigurationError } from '../../../errors/configuration.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type { RedisStorageOptions } from '../storage-options.interface';
import type { StorageHandle } from '../storage-handle';
import { RedisStateNonceStore } from './redis-state-nonce.store';
import { RedisTokenStorage } from './redis-token-storage';

const nothing = async () => undefined;

/** Tokens and state nonces in Redis, on the host's client or one opened (and closed) here. */
export function createRedisStorage(s: RedisStorageOptions, cipher: TokenCipher): StorageHandle {
  // Required lazily so a host only installs the driver it uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require('ioredis') as typeof import('ioredis').default;
  const owned = !s.client;
  if (!s.client && !s.url) throw new ConfigurationError(['storage.client or storage.url is required for redis storage']);
  // Reconnects by itself after a Redis restart; commands fail fast while it is down.
  // The option is typed structurally (no ioredis in the public typings); it is an ioredis client.
  const client: RedisClient =
    (s.client as RedisClient | undefined) ?? new Redis(s.url!, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  if (owned) client.on('error', () => undefined); // surfaced through ping()/health, not as unhandled events
  return {
    storage: new RedisTokenStorage(client, cipher, { keyPrefix: s.keyPrefix }),
    nonces: new RedisStateNonceStore(client, s.keyPrefix ?? 'qb:'),
    dispose: owned ? async () => void (await client.quit().catch(() => client.disconnect())) : nothing,
  };
}
