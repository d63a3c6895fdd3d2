import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import type { ConnectionRef } from '../../../domain/connection.interface';

export const CONNECTION_SUFFIX = '.conn';

/**
 * Where things live under the storage directory:
 *   tenants/<sha256(tenant)>/<sha256(realm)>.conn        one encrypted connection document
 *   tenants/<sha256(tenant)>/<sha256(realm)>.conn.lock   inter-process write lock
 * Names are hashes, so no tenant or realm id (`../`, `/`, long ids) can escape the directory or
 * hit a name-length limit; the real ids travel inside the file envelope.
 */
export class FilePaths {
  constructor(readonly root: string) {}

  get tenantsDir(): string {
    return join(this.root, 'tenants');
  }

  tenantDir(tenantId: string): string {
    return join(this.tenantsDir, digest(`tenant\0${tenantId}`));
  }

  connectionFile(ref: ConnectionRef): string {
    return join(this.tenantDir(ref.tenantId), `${digest(`realm\0${ref.realmId}`)}${CONNECTION_SUFFIX}`);
  }

  lockFile(file: string): string {
    return `${file}.lock`;
  }

  /** Path relative to the root, for error messages (names are hashes: nothing secret). */
  display(file: string): string {
    return relative(this.root, file);
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
