import type { DataSource } from 'typeorm';

const DAY = 86_400_000;
const COLUMNS =
  'tenant_id, realm_id, environment, status, access_token_enc, refresh_token_enc, refresh_token_fp, access_token_expires_at, refresh_token_expires_at,' +
  ' refresh_token_hard_expires_at, scopes, version, next_refresh_at, failure_count, created_at, updated_at, lease_generation';

/**
 * Bulk-inserts `count` active connections whose hard deadlines are spread evenly over `spreadDays`
 * from `now` (row i: realm 1000000000 + i, tenant `tenant-${i % tenants}`), 500 rows a statement.
 * The token columns hold placeholders: only for lists that never open tokens (campaign, realm lookup).
 * `scramble` inserts the deadlines out of order, so the index, not the insert order, sorts them.
 */
export async function insertConnectionsWithDeadlines(
  ds: DataSource,
  bind: (sql: string) => string,
  params: { count: number; tenants: number; now: number; spreadDays: number; scramble?: boolean },
): Promise<void> {
  const { count, tenants, now, spreadDays } = params;
  const tuple = `(${COLUMNS.split(',')
    .map(() => '?')
    .join(', ')})`;
  for (let start = 0; start < count; start += 500) {
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const slot = params.scramble ? (i * 7919) % count : i;
      const hard = now + Math.floor((slot / count) * spreadDays) * DAY;
      values.push(
        `tenant-${i % tenants}`,
        String(1_000_000_000 + i),
        'sandbox',
        'active',
        'x',
        'x',
        `fp${i}`,
        now + 3_600_000,
        hard,
        hard,
        'com.intuit.quickbooks.accounting',
        1,
        now,
        0,
        now,
        now,
        1,
      );
      tuples.push(tuple);
    }
    await ds.query(bind(`INSERT INTO quickbooks_connections (${COLUMNS}) VALUES ${tuples.join(', ')}`), values);
  }
}
