import type { StateNonceStore } from '../state/state-nonce-store.interface';
import type { TokenStorage } from './token-storage.interface';

/** The storage backend plus what the module opened for it and must close on shutdown. */
export interface StorageHandle {
  storage: TokenStorage;
  /** Single-use OAuth state nonces, shared across replicas when the backend can. */
  nonces: StateNonceStore;
  dispose(): Promise<void>;
}
