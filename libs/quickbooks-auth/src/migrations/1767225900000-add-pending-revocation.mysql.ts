import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending revocations: a refresh token still to revoke at Intuit (the grant a reconnect replaced,
 * or a disconnect Intuit did not confirm, status revoke_pending), sealed exactly as it was in
 * refresh_token_enc, with its fingerprint, next attempt (app clock) and attempt count. Existing
 * rows read as nothing pending. Only missing columns and the index are added (MySQL 8 has no ADD
 * COLUMN IF NOT EXISTS), so a half-applied or re-run migration is safe.
 */
export class AddPendingRevocationMysql1767225900000 implements MigrationInterface {
  name = 'AddPendingRevocationMysql1767225900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const present = await existingColumns(queryRunner);
    const missing = REVOKE_COLUMNS.filter(([name]) => !present.has(name));
    if (missing.length) {
      await queryRunner.query(
        `ALTER TABLE \`quickbooks_connections\` ${missing.map(([name, type]) => `ADD COLUMN \`${name}\` ${type}`).join(', ')}`,
      );
    }
    if (!(await hasIndex(queryRunner))) {
      await queryRunner.query(`CREATE INDEX \`${INDEX}\` ON \`quickbooks_connections\` (\`revoke_due_at\`)`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no revoke_pending and would refresh or serve such a row again:
    // hand it back as revoked (its tokens are already wiped; the grant may stay live at Intuit).
    await queryRunner.query("UPDATE `quickbooks_connections` SET `status` = 'revoked' WHERE `status` = 'revoke_pending'");
    if (await hasIndex(queryRunner)) await queryRunner.query(`DROP INDEX \`${INDEX}\` ON \`quickbooks_connections\``);
    const present = await existingColumns(queryRunner);
    const drop = REVOKE_COLUMNS.filter(([name]) => present.has(name));
    if (drop.length)
      await queryRunner.query(`ALTER TABLE \`quickbooks_connections\` ${drop.map(([name]) => `DROP COLUMN \`${name}\``).join(', ')}`);
  }
}

const INDEX = 'idx_quickbooks_connections_revoke_due';

const REVOKE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['revoke_token_enc', 'TEXT NULL'],
  ['revoke_token_fp', 'VARCHAR(128) NULL'],
  ['revoke_due_at', 'BIGINT NULL'],
  ['revoke_attempts', 'INT NOT NULL DEFAULT 0'],
];

async function existingColumns(queryRunner: QueryRunner): Promise<Set<string>> {
  const rows: Array<{ name: string }> = await queryRunner.query(
    "SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections'",
  );
  return new Set(rows.map((r) => r.name));
}

async function hasIndex(queryRunner: QueryRunner): Promise<boolean> {
  const rows: unknown[] = await queryRunner.query(
    "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'quickbooks_connections' AND INDEX_NAME = ?",
    [INDEX],
  );
  return rows.length > 0;
}
