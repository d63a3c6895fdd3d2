import type { ResolvedQuickBooksAuthOptions } from '../../config/resolved-options';
import { ConfigurationError } from '../../errors/configuration.error';
import type { TokenCipher } from '../../utils/crypto/token-cipher';
import { MemoryTokenStorage } from './memory/memory-token-storage';
import type { TokenStorage } from './token-storage.interface';

/**
 * Builds the configured backend. Drivers are required lazily so a host that uses Redis never
 * needs better-sqlite3 installed, and the other way round.
 */
export async function createTokenStorage(options: ResolvedQuickBooksAuthOptions, cipher: TokenCipher): Promise<TokenStorage> {
  const s = options.storage;
  switch (s.type) {
    case 'memory':
      return new MemoryTokenStorage(cipher);
    case 'custom':
      return s.storage;
    default:
      throw new ConfigurationError([`storage.type "${(s as { type: string }).type}" is not available in this build`]);
  }
}
