import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Files SQLite keeps next to the database; it creates them with the database file's mode. */
const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'];

/**
 * Creates the SQLite database file owner-only (0600) before the driver opens it, so the WAL and
 * shared-memory files SQLite derives from it are 0600 too, whatever the umask. An existing file
 * (an older demo's, created 0644) is tightened. The directory is created 0700.
 */
export function preparePrivateSqliteFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, ...COMPANION_SUFFIXES.map((s) => `${path}${s}`)]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
