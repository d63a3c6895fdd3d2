import type { ConnectionForAccess, StoredConnection } from '../../domain/connection.interface';

/**
 * The access path's view of a connection read whole (memory and file backends, where the refresh
 * token comes out of the same decryption as the rest): the same fields as getForAccess elsewhere.
 */
export function withoutRefreshToken(conn: StoredConnection): ConnectionForAccess {
  const { refreshToken: _sealedOnTheAccessPath, ...forAccess } = conn;
  return forAccess;
}
