import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Consumed OAuth state nonces, so a state is single-use across every replica. */
export class CreateQuickbooksOauthStatesPostgres1767225700000 implements MigrationInterface {
  name = 'CreateQuickbooksOauthStatesPostgres1767225700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS "quickbooks_oauth_states" (
        "nonce" VARCHAR(64) NOT NULL,
        "expires_at" BIGINT NOT NULL,
        CONSTRAINT "pk_quickbooks_oauth_states" PRIMARY KEY ("nonce")
      )`);
    await queryRunner.query('CREATE INDEX IF NOT EXISTS "idx_quickbooks_oauth_states_expires" ON "quickbooks_oauth_states" ("expires_at")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS "quickbooks_oauth_states"');
  }
}
