import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending revocations: a refresh token still to revoke at Intuit (the grant a reconnect replaced,
 * or a disconnect Intuit did not confirm, status revoke_pending), sealed exactly as it was in
 * refresh_token_enc, with its fingerprint, next attempt (app clock) and attempt count. Existing
 * rows read as nothing pending. IF NOT EXISTS throughout, so a re-run migration is safe.
 */
export class AddPendingRevocationPostgres1767225900000 implements MigrationInterface {
  name = 'AddPendingRevocationPostgres1767225900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "quickbooks_connections" ${REVOKE_COLUMNS.map(([name, type]) => `ADD COLUMN IF NOT EXISTS "${name}" ${type}`).join(', ')}`,
    );
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${INDEX}" ON "quickbooks_connections" ("revoke_due_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no revoke_pending and would refresh or serve such a row again:
    // hand it back as revoked (its tokens are already wiped; the grant may stay live at Intuit).
    await queryRunner.query(`UPDATE "quickbooks_connections" SET "status" = 'revoked' WHERE "status" = 'revoke_pending'`);
    await queryRunner.query(`DROP INDEX IF EXISTS "${INDEX}"`);
    await queryRunner.query(
      `ALTER TABLE "quickbooks_connections" ${REVOKE_COLUMNS.map(([name]) => `DROP COLUMN IF EXISTS "${name}"`).join(', ')}`,
    );
  }
}

const INDEX = 'idx_quickbooks_connections_revoke_due';

const REVOKE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['revoke_token_enc', 'TEXT NULL'],
  ['revoke_token_fp', 'VARCHAR(128) NULL'],
  ['revoke_due_at', 'BIGINT NULL'],
  ['revoke_attempts', 'INTEGER NOT NULL DEFAULT 0'],
];
