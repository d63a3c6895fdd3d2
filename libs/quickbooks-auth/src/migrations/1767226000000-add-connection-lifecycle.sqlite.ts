import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hard-expiry lifecycle on SQLite: reconnect_warned_days (the nearest warning horizon already
 * sent for the current grant, NULL: none; existing rows read as none) and an index on (hard
 * expiry, tenant, realm) for the reconnect campaign's keyset pages, and one on realm_id for
 * the Disconnect URL landing (Intuit names only the company). Only a missing column is
 * added, so a re-run is safe. down() needs SQLite >= 3.35 (DROP COLUMN).
 */
export class AddConnectionLifecycleSqlite1767226000000 implements MigrationInterface {
  name = 'AddConnectionLifecycleSqlite1767226000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await hasColumn(queryRunner)))
      await queryRunner.query('ALTER TABLE "quickbooks_connections" ADD COLUMN "reconnect_warned_days" INTEGER NULL');
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "${INDEX}" ON "quickbooks_connections" ("refresh_token_hard_expires_at", "tenant_id", "realm_id")`,
    );
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${REALM_INDEX}" ON "quickbooks_connections" ("realm_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "${INDEX}"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "${REALM_INDEX}"`);
    if (await hasColumn(queryRunner)) await queryRunner.query('ALTER TABLE "quickbooks_connections" DROP COLUMN "reconnect_warned_days"');
  }
}

const INDEX = 'idx_quickbooks_connections_hard_expiry';
const REALM_INDEX = 'idx_quickbooks_connections_realm';

async function hasColumn(queryRunner: QueryRunner): Promise<boolean> {
  const rows: Array<{ name: string }> = await queryRunner.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`);
  return rows.some((r) => r.name === 'reconnect_warned_days');
}
