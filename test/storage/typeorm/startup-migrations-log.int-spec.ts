/**
 * Migrations the module runs at start-up say what they applied: one log line with the names,
 * the driver and the duration on a fresh schema, "up to date" on the next boot. No URL, no secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICKBOOKS_AUTH_MYSQL_MIGRATIONS, QUICKBOOKS_AUTH_SQLITE_MIGRATIONS, type StorageOptions } from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { createScratchDatabase } from '../../support/mariadb';
import { LogCapture } from '../../support/log-capture';
import { startHarness } from '../../support/quickbooks-harness';
import { TEST_CLIENT } from '../../support/test-keys';

const migrationLines = (logs: LogCapture) => logs.lines.filter((l) => l.includes('migrations:'));

describe('start-up migrations are logged', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
  });
  afterAll(() => emulator.close());

  async function bootTwice(storage: StorageOptions): Promise<[string[], string[]]> {
    const seen: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const logs = new LogCapture();
      const h = await startHarness({ storage, emulator, logs });
      await h.close();
      seen.push(migrationLines(logs));
    }
    return [seen[0], seen[1]];
  }

  it('MariaDB: the applied migrations by name, then "up to date", never the URL', async () => {
    const db = await createScratchDatabase('qb_miglog');
    try {
      const [first, second] = await bootTwice({ type: 'typeorm', url: db.url });
      expect(first).toHaveLength(1);
      expect(first[0]).toMatch(new RegExp(`migrations: applied ${QUICKBOOKS_AUTH_MYSQL_MIGRATIONS.length} on mysql in \\d+ ms: `));
      for (const M of QUICKBOOKS_AUTH_MYSQL_MIGRATIONS) expect(first[0]).toContain(new M().name!);
      expect(second).toEqual([expect.stringContaining('migrations: schema up to date on mysql')]);
      for (const line of [...first, ...second]) expect(line).not.toContain(db.name);
    } finally {
      await db.drop();
    }
  });

  it('SQLite: the same on an embedded file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qb-miglog-'));
    try {
      const [first, second] = await bootTwice({ type: 'typeorm', sqlitePath: join(dir, 'qb.sqlite') });
      expect(first).toEqual([
        expect.stringMatching(new RegExp(`migrations: applied ${QUICKBOOKS_AUTH_SQLITE_MIGRATIONS.length} on better-sqlite3 in \\d+ ms`)),
      ]);
      expect(second).toEqual([expect.stringContaining('migrations: schema up to date on better-sqlite3')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
