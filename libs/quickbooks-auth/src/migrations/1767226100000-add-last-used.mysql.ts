import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Last use (the proactive 'recent' policy): when a token of the connection was last handed to the
 * app, app clock, written coarsely by recordUse. Existing rows read as never recorded (NULL): the
 * scheduler keeps them alive and their next getAccessToken makes them recent. No index: it is only
 * read with the row the scheduler already claimed. Added only when missing (MySQL 8 has no ADD
 * COLUMN IF NOT EXISTS), so a re-run is safe.
 */
export class AddLastUsedMysql1767226100000 implements MigrationInterface {
  name = 'AddLastUsedMysql1767226100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await hasColumn(queryRunner)))
      await queryRunner.query('ALTER TABLE `quickbooks_connections` ADD COLUMN `last_used_at` BIGINT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (await hasColumn(queryRunner)) await queryRunner.query('ALTER TABLE `quickbooks_connections` DROP COLUMN `last_used_at`');
  }
}

async function hasColumn(queryRunner: QueryRunner): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections' AND COLUMN_NAME = 'last_used_at'",
  );
  return rows.length > 0;
}
