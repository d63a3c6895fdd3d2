import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hard-expiry lifecycle: reconnect_warned_days (the nearest warning horizon already sent for the
 * current grant, NULL: none; existing rows read as none), an index on (hard expiry, tenant,
 * realm) that serves the reconnect campaign's keyset pages, and one on realm_id for the
 * Disconnect URL landing (Intuit names only the company). Only what is missing is added (MySQL 8
 * has no ADD COLUMN IF NOT EXISTS), so a half-applied or re-run migration is safe.
 */
export class AddConnectionLifecycleMysql1767226000000 implements MigrationInterface {
  name = 'AddConnectionLifecycleMysql1767226000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const columns: Array<{ name: string }> = await queryRunner.query(
      "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections' AND COLUMN_NAME = 'reconnect_warned_days'",
    );
    if (!columns.length) await queryRunner.query('ALTER TABLE `quickbooks_connections` ADD COLUMN `reconnect_warned_days` INT NULL');
    if (!(await hasIndex(queryRunner, INDEX))) {
      await queryRunner.query(
        `CREATE INDEX \`${INDEX}\` ON \`quickbooks_connections\` (\`refresh_token_hard_expires_at\`, \`tenant_id\`, \`realm_id\`)`,
      );
    }
    if (!(await hasIndex(queryRunner, REALM_INDEX)))
      await queryRunner.query(`CREATE INDEX \`${REALM_INDEX}\` ON \`quickbooks_connections\` (\`realm_id\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [INDEX, REALM_INDEX]) {
      if (await hasIndex(queryRunner, index)) await queryRunner.query(`DROP INDEX \`${index}\` ON \`quickbooks_connections\``);
    }
    const columns: unknown[] = await queryRunner.query(
      "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections' AND COLUMN_NAME = 'reconnect_warned_days'",
    );
    if (columns.length) await queryRunner.query('ALTER TABLE `quickbooks_connections` DROP COLUMN `reconnect_warned_days`');
  }
}

const INDEX = 'idx_quickbooks_connections_hard_expiry';
const REALM_INDEX = 'idx_quickbooks_connections_realm';

async function hasIndex(queryRunner: QueryRunner, index: string): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections' AND INDEX_NAME = ?",
    [index],
  );
  return rows.length > 0;
}
