import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hard-expiry lifecycle: reconnect_warned_days (the nearest warning horizon already sent for the
 * current grant, NULL: none; existing rows read as none) and an index on (hard expiry, tenant,
 * realm) that serves the reconnect campaign's keyset pages, and one on realm_id for the
 * Disconnect URL landing (Intuit names only the company). IF NOT EXISTS throughout, so a re-run
 * migration is safe.
 */
export class AddConnectionLifecyclePostgres1767226000000 implements MigrationInterface {
  name = 'AddConnectionLifecyclePostgres1767226000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "quickbooks_connections" ADD COLUMN IF NOT EXISTS "reconnect_warned_days" INTEGER NULL');
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "${INDEX}" ON "quickbooks_connections" ("refresh_token_hard_expires_at", "tenant_id", "realm_id")`,
    );
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${REALM_INDEX}" ON "quickbooks_connections" ("realm_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "${INDEX}"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "${REALM_INDEX}"`);
    await queryRunner.query('ALTER TABLE "quickbooks_connections" DROP COLUMN IF EXISTS "reconnect_warned_days"');
  }
}

const INDEX = 'idx_quickbooks_connections_hard_expiry';
const REALM_INDEX = 'idx_quickbooks_connections_realm';
