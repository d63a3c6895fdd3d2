import { DecryptionError } from '../../errors/decryption.error';
import type { ConnectionDetails, ConnectionRecord, ConnectionRef, StoredConnection } from '../../domain/connection.interface';

// The guard is domain logic; re-exported here for the stores that read it beside recordOf.
export { isUndecryptable } from '../../domain/is-undecryptable';

/**
 * One row as the tolerant reads (getRecord, listRecordsByTenant, claimDue's report) return it.
 * `decode(true)` builds the connection with its tokens; when that fails with a DecryptionError,
 * `decode(false)` builds it without them, and if even that cannot be decrypted (a backend that
 * seals the whole record) only the ids are left. Any other error (corrupt, foreign) is thrown.
 * @internal
 */
export function recordOf(ref: ConnectionRef, decode: (withTokens: boolean) => StoredConnection): ConnectionRecord {
  try {
    return decode(true);
  } catch (err) {
    if (!(err instanceof DecryptionError)) throw err;
    let details: ConnectionDetails | null = null;
    try {
      details = detailsOf(decode(false));
    } catch (again) {
      if (!(again instanceof DecryptionError)) throw again;
    }
    return { tenantId: ref.tenantId, realmId: ref.realmId, undecryptable: true, reason: err.reason, details };
  }
}

/** A connection without ids and tokens. */
export function detailsOf(c: StoredConnection): ConnectionDetails {
  const { tenantId: _t, realmId: _r, accessToken: _a, refreshToken: _f, ...details } = c;
  return details;
}
