import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Last use (the proactive 'recent' policy) on SQLite: when a token of the connection was last
 * handed to the app, app clock, written coarsely by recordUse. Existing rows read as never
 * recorded (NULL). Added only when missing (no ADD COLUMN IF NOT EXISTS), so a re-run is safe.
 * down() needs SQLite >= 3.35 (DROP COLUMN).
 */
export class AddLastUsedSqlite1767226100000 implements MigrationInterface {
  name = 'AddLastUsedSqlite1767226100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await hasColumn(queryRunner)))
      await queryRunner.query('ALTER TABLE "quickbooks_connections" ADD COLUMN "last_used_at" BIGINT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (await hasColumn(queryRunner)) await queryRunner.query('ALTER TABLE "quickbooks_connections" DROP COLUMN "last_used_at"');
  }
}

async function hasColumn(queryRunner: QueryRunner): Promise<boolean> {
  const rows: Array<{ name: string }> = await queryRunner.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`);
  return rows.some((r) => r.name === 'last_used_at');
}
