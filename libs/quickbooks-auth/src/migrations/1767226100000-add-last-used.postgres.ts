import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Last use (the proactive 'recent' policy): when a token of the connection was last handed to the
 * app, app clock, written coarsely by recordUse. Existing rows read as never recorded (NULL): the
 * scheduler keeps them alive and their next getAccessToken makes them recent. No index: it is only
 * read with the row the scheduler already claimed. IF NOT EXISTS, so a re-run is safe.
 */
export class AddLastUsedPostgres1767226100000 implements MigrationInterface {
  name = 'AddLastUsedPostgres1767226100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "quickbooks_connections" ADD COLUMN IF NOT EXISTS "last_used_at" BIGINT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "quickbooks_connections" DROP COLUMN IF EXISTS "last_used_at"');
  }
}
