import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending revocations on SQLite: a refresh token still to revoke at Intuit (the grant a reconnect
 * replaced, or a disconnect Intuit did not confirm, status revoke_pending), sealed exactly as it
 * was in refresh_token_enc, with its fingerprint, next attempt (app clock) and attempt count.
 * Existing rows read as nothing pending. One column per statement, only the missing ones, so a
 * re-run is safe. down() needs SQLite >= 3.35 (DROP COLUMN).
 */
export class AddPendingRevocationSqlite1767225900000 implements MigrationInterface {
  name = 'AddPendingRevocationSqlite1767225900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const present = await existingColumns(queryRunner);
    for (const [name, type] of REVOKE_COLUMNS) {
      if (!present.has(name)) await queryRunner.query(`ALTER TABLE "quickbooks_connections" ADD COLUMN "${name}" ${type}`);
    }
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "${INDEX}" ON "quickbooks_connections" ("revoke_due_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The previous release knows no revoke_pending and would refresh or serve such a row again:
    // hand it back as revoked (its tokens are already wiped; the grant may stay live at Intuit).
    await queryRunner.query(`UPDATE "quickbooks_connections" SET "status" = 'revoked' WHERE "status" = 'revoke_pending'`);
    await queryRunner.query(`DROP INDEX IF EXISTS "${INDEX}"`);
    const present = await existingColumns(queryRunner);
    for (const [name] of REVOKE_COLUMNS) {
      if (present.has(name)) await queryRunner.query(`ALTER TABLE "quickbooks_connections" DROP COLUMN "${name}"`);
    }
  }
}

const INDEX = 'idx_quickbooks_connections_revoke_due';

const REVOKE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['revoke_token_enc', 'TEXT NULL'],
  ['revoke_token_fp', 'VARCHAR(128) NULL'],
  ['revoke_due_at', 'BIGINT NULL'],
  ['revoke_attempts', 'INTEGER NOT NULL DEFAULT 0'],
];

async function existingColumns(queryRunner: QueryRunner): Promise<Set<string>> {
  const rows: Array<{ name: string }> = await queryRunner.query(`SELECT name FROM pragma_table_info('quickbooks_connections')`);
  return new Set(rows.map((r) => r.name));
}
