import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh protocol v2 (I9): the lease fencing generation, the in-flight token call recorded by
 * beginCall, and the fingerprint Intuit refused. Existing rows read as generation 0, nothing in
 * flight. ADD COLUMN IF NOT EXISTS (a constant default is instant on PostgreSQL 11+), so a
 * re-run migration is safe.
 */
export class AddRefreshProtocolV2Postgres1767225800000 implements MigrationInterface {
  name = 'AddRefreshProtocolV2Postgres1767225800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "quickbooks_connections" ${V2_COLUMNS.map(([name, type]) => `ADD COLUMN IF NOT EXISTS "${name}" ${type}`).join(', ')}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no reauth_pending and would never lease such a row again: hand it
    // back as active, so that release retries the token and reaches its own verdict.
    await queryRunner.query(`UPDATE "quickbooks_connections" SET "status" = 'active' WHERE "status" = 'reauth_pending'`);
    await queryRunner.query(
      `ALTER TABLE "quickbooks_connections" ${V2_COLUMNS.map(([name]) => `DROP COLUMN IF EXISTS "${name}"`).join(', ')}`,
    );
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
