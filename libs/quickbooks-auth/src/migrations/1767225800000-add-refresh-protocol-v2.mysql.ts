import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh protocol v2 (I9): the lease fencing generation, the in-flight token call recorded by
 * beginCall, and the fingerprint Intuit refused. Existing rows read as generation 0, nothing in
 * flight. Columns are appended (instant ADD COLUMN on MySQL 8 and MariaDB), and only the missing
 * ones: MySQL 8 has no ADD COLUMN IF NOT EXISTS, so a half-applied or re-run migration is safe.
 */
export class AddRefreshProtocolV2Mysql1767225800000 implements MigrationInterface {
  name = 'AddRefreshProtocolV2Mysql1767225800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const present = await existingColumns(queryRunner);
    const missing = V2_COLUMNS.filter(([name]) => !present.has(name));
    if (missing.length === 0) return;
    await queryRunner.query(
      `ALTER TABLE \`quickbooks_connections\` ${missing.map(([name, type]) => `ADD COLUMN \`${name}\` ${type}`).join(', ')}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no reauth_pending and would never lease such a row again: hand it
    // back as active, so that release retries the token and reaches its own verdict.
    await queryRunner.query("UPDATE `quickbooks_connections` SET `status` = 'active' WHERE `status` = 'reauth_pending'");
    const present = await existingColumns(queryRunner);
    const drop = V2_COLUMNS.filter(([name]) => present.has(name));
    if (drop.length === 0) return;
    await queryRunner.query(`ALTER TABLE \`quickbooks_connections\` ${drop.map(([name]) => `DROP COLUMN \`${name}\``).join(', ')}`);
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
  const rows: Array<{ name: string }> = await queryRunner.query(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'",
  );
  return new Set(rows.map((r) => r.name));
}
