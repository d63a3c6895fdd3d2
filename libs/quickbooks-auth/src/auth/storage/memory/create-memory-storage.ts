import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import type { StorageHandle } from '../storage-handle';
import { MemoryStateNonceStore } from './memory-state-nonce.store';
import { MemoryTokenStorage } from './memory-token-storage';

/** One process, nothing to open or close: tokens and state nonces live in this process's memory. */
export function createMemoryStorage(cipher: TokenCipher): StorageHandle {
  return { storage: new MemoryTokenStorage(cipher), nonces: new MemoryStateNonceStore(), dispose: async () => undefined };
}
