import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SQLite schema for QuickBooksConnectionEntity (TEXT compares byte for byte by default).
 * Times are UTC epoch ms (INTEGER). idx_due serves claimDue.
 */
export class CreateQuickbooksConnectionsSqlite1767225600000 implements MigrationInterface {
  name = 'CreateQuickbooksConnectionsSqlite1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS "quickbooks_connections" (
        "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        "tenant_id" VARCHAR(128) NOT NULL,
        "realm_id" VARCHAR(64) NOT NULL,
        "environment" VARCHAR(16) NOT NULL,
        "status" VARCHAR(16) NOT NULL,
        "access_token_enc" TEXT NULL,
        "refresh_token_enc" TEXT NULL,
        "refresh_token_fp" VARCHAR(128) NULL,
        "access_token_expires_at" BIGINT NOT NULL,
        "refresh_token_expires_at" BIGINT NOT NULL,
        "refresh_token_hard_expires_at" BIGINT NULL,
        "scopes" TEXT NOT NULL,
        "version" BIGINT NOT NULL DEFAULT 1,
        "lease_owner" VARCHAR(128) NULL,
        "lease_expires_at" BIGINT NULL,
        "next_refresh_at" BIGINT NOT NULL,
        "failure_count" INTEGER NOT NULL DEFAULT 0,
        "next_attempt_at" BIGINT NULL,
        "last_error_code" VARCHAR(64) NULL,
        "last_refreshed_at" BIGINT NULL,
        "created_at" BIGINT NOT NULL,
        "updated_at" BIGINT NOT NULL,
        CONSTRAINT "uq_quickbooks_connections_tenant_realm" UNIQUE ("tenant_id", "realm_id")
      )`);
    await queryRunner.query(
      'CREATE INDEX IF NOT EXISTS "idx_quickbooks_connections_due" ON "quickbooks_connections" ("status", "next_refresh_at")',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS "quickbooks_connections"');
  }
}
