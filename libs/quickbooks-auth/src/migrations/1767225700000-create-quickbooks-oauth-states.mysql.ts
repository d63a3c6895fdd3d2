import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Consumed OAuth state nonces, so a state is single-use across every replica. */
export class CreateQuickbooksOauthStatesMysql1767225700000 implements MigrationInterface {
  name = 'CreateQuickbooksOauthStatesMysql1767225700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS \`quickbooks_oauth_states\` (
        \`nonce\` VARCHAR(64) NOT NULL,
        \`expires_at\` BIGINT NOT NULL,
        PRIMARY KEY (\`nonce\`),
        KEY \`idx_quickbooks_oauth_states_expires\` (\`expires_at\`)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS `quickbooks_oauth_states`');
  }
}
