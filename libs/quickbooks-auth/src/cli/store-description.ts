import type { StorageOptions } from '../auth/storage/storage-options.interface';
import { maskUrlPassword } from '../auth/storage/storage-connection-failure';

/** Which store the options point at, safe to print (URL passwords masked). */
export function describeStore(storage: StorageOptions): string {
  switch (storage.type) {
    case 'typeorm':
      if (storage.sqlitePath) return `typeorm sqlite:${storage.sqlitePath}`;
      if (storage.url) return `typeorm ${maskUrlPassword(storage.url)}`;
      return 'typeorm (host DataSource)';
    case 'redis':
      return `redis ${storage.url ? maskUrlPassword(storage.url) : '(host client)'} prefix ${storage.keyPrefix ?? 'qb:'}`;
    case 'file':
      return `file ${storage.directory}`;
    case 'memory':
      return 'memory (this process only: always empty here)';
    case 'custom':
      return 'custom';
  }
}
