import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MySQL 8 / MariaDB >= 10.6 schema for QuickBooksConnectionEntity.
 * utf8mb4_bin: tenant and realm ids compare byte for byte, so `Acme` and `acme` are two tenants (I7).
 * Times are UTC epoch ms (BIGINT). idx_due serves claimDue's `status = 'active' AND next_refresh_at <= ?`.
 */
export class CreateQuickbooksConnectionsMysql1767225600000 implements MigrationInterface {
  name = 'CreateQuickbooksConnectionsMysql1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS \`quickbooks_connections\` (
        \`id\` BIGINT NOT NULL AUTO_INCREMENT,
        \`tenant_id\` VARCHAR(128) NOT NULL,
        \`realm_id\` VARCHAR(64) NOT NULL,
        \`environment\` VARCHAR(16) NOT NULL,
        \`status\` VARCHAR(16) NOT NULL,
        \`access_token_enc\` TEXT NULL,
        \`refresh_token_enc\` TEXT NULL,
        \`refresh_token_fp\` VARCHAR(128) NULL,
        \`access_token_expires_at\` BIGINT NOT NULL,
        \`refresh_token_expires_at\` BIGINT NOT NULL,
        \`refresh_token_hard_expires_at\` BIGINT NULL,
        \`scopes\` TEXT NOT NULL,
        \`version\` BIGINT NOT NULL DEFAULT 1,
        \`lease_owner\` VARCHAR(128) NULL,
        \`lease_expires_at\` BIGINT NULL,
        \`next_refresh_at\` BIGINT NOT NULL,
        \`failure_count\` INT NOT NULL DEFAULT 0,
        \`next_attempt_at\` BIGINT NULL,
        \`last_error_code\` VARCHAR(64) NULL,
        \`last_refreshed_at\` BIGINT NULL,
        \`created_at\` BIGINT NOT NULL,
        \`updated_at\` BIGINT NOT NULL,
        PRIMARY KEY (\`id\`),
        UNIQUE KEY \`uq_quickbooks_connections_tenant_realm\` (\`tenant_id\`, \`realm_id\`),
        KEY \`idx_quickbooks_connections_due\` (\`status\`, \`next_refresh_at\`)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS `quickbooks_connections`');
  }
}
