import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh protocol v2 (I9) on SQLite: the lease fencing generation, the in-flight token call
 * recorded by beginCall, and the fingerprint Intuit refused. Existing rows read as generation 0,
 * nothing in flight. SQLite adds one column per statement and has no ADD COLUMN IF NOT EXISTS:
 * only the missing ones are added, so a re-run is safe. down() needs SQLite >= 3.35 (DROP COLUMN).
 */
export class AddRefreshProtocolV2Sqlite1767225800000 implements MigrationInterface {
  name = 'AddRefreshProtocolV2Sqlite1767225800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const present = await existingColumns(queryRunner);
    for (const [name, type] of V2_COLUMNS) {
      if (!present.has(name)) await queryRunner.query(`ALTER TABLE "quickbooks_connections" ADD COLUMN "${name}" ${type}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no reauth_pending and would never lease such a row again: hand it
    // back as active, so that release retries the token and reaches its own verdict.
    await queryRunner.query(`UPDATE "quickbooks_connections" SET "status" = 'active' WHERE "status" = 'reauth_pending'`);
    const present = await existingColumns(queryRunner);
    for (const [name] of V2_COLUMNS) {
      if (present.has(name)) await queryRunner.query(`ALTER TABLE "quickbooks_connections" DROP COLUMN "${name}"`);
    }
  }
}

const V2_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['lease_generation', 'BIGINT NOT NULL DEFAULT 0'],
  ['inflight_fp', 'VARCHAR(128) NULL'],
  ['inflight_owner', 'VARCHAR(128) NULL'],
  ['inflight_generation', 'BIGINT NULL'],
  ['inflight_started_at', 'BIGINT NULL'],
  ['inflight_deadline_at', 'BIGINT NULL'],
  ['last_error_fp', 'VARCHAR(128) NULL'],
];

async function existingColumns(queryRunner: QueryRunner): Promise<Set<string>> {
  const rows: Array<{ name: string }> = await queryRunner.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`);
  return new Set(rows.map((r) => r.name));
}
