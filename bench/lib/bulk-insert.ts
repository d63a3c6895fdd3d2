import type { MintedConnection } from '@quickbooks-auth/intuit-emulator';
import { KeyRing, TokenCipher } from '@quickbooks-auth/nestjs';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { Pool as PostgresPool } from 'pg';

/** Where the rows go: a mysql2 pool (MariaDB) or a pg pool (PostgreSQL). */
export type BulkInsertTarget = { kind: 'mysql'; pool: MysqlPool } | { kind: 'postgres'; pool: PostgresPool };

/**
 * Inserts minted connections straight into quickbooks_connections, encrypted with the module's
 * own TokenCipher (same AAD, same fingerprint): far faster than saveConnection one by one, and
 * the rows read back exactly like rows the module wrote.
 */
export async function bulkInsertConnections(
  target: BulkInsertTarget,
  minted: MintedConnection[],
  params: {
    tenantId: string;
    now: number;
    nextRefreshAt: number;
    encryptionKeys: string;
    batch?: number;
    onProgress?: (done: number) => void;
  },
): Promise<void> {
  const cipher = new TokenCipher(KeyRing.parse(params.encryptionKeys));
  const batch = params.batch ?? 1000;
  const cols =
    'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at, refresh_token_hard_expires_at, scopes, version, next_refresh_at, failure_count, created_at, updated_at';
  for (let i = 0; i < minted.length; i += batch) {
    const rows = minted.slice(i, i + batch).map((m) => {
      const ctx = { tenantId: params.tenantId, realmId: m.realmId };
      return [
        params.tenantId,
        m.realmId,
        'sandbox',
        'active',
        cipher.encrypt(m.access_token, { ...ctx, field: 'access_token' }),
        cipher.encrypt(m.refresh_token, { ...ctx, field: 'refresh_token' }),
        cipher.fingerprint(m.refresh_token),
        params.now + m.expires_in * 1000,
        params.now + m.x_refresh_token_expires_in * 1000,
        m.x_refresh_token_hard_expires_in ? params.now + m.x_refresh_token_hard_expires_in * 1000 : null,
        'com.intuit.quickbooks.accounting',
        1,
        params.nextRefreshAt,
        0,
        params.now,
        params.now,
      ];
    });
    if (target.kind === 'mysql') await target.pool.query(`INSERT INTO quickbooks_connections (${cols}) VALUES ?`, [rows]);
    else await target.pool.query(postgresInsert(cols, rows.length, rows[0].length), rows.flat());
    params.onProgress?.(Math.min(i + batch, minted.length));
  }
}

/**
 * Planner statistics for the rows just bulk-inserted, as a live server gathers them within a minute
 * (autovacuum; InnoDB's automatic recalculation). The servers here run PostgreSQL with autovacuum
 * off, and on a table never analyzed its default estimates take `status = 'active'` for a few
 * rows: every compare-and-swap then reads the whole (status, next_refresh_at) index (about 400 ms
 * at 1M) and the claim's custom plans read and sort every due row (seconds): 16-28 refreshes/s.
 */
export async function analyzeConnections(target: BulkInsertTarget): Promise<void> {
  if (target.kind === 'mysql') await target.pool.query('ANALYZE TABLE quickbooks_connections');
  else await target.pool.query('ANALYZE quickbooks_connections');
}

/** One multi-row INSERT with numbered placeholders ($1 … $n), pg's form of mysql2's `VALUES ?`. */
function postgresInsert(cols: string, rowCount: number, width: number): string {
  const tuples = Array.from(
    { length: rowCount },
    (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO quickbooks_connections (${cols}) VALUES ${tuples.join(', ')}`;
}
