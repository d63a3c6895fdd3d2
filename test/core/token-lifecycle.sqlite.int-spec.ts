import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('TypeORM on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qb-core-'));
  const file = join(dir, 'qb.sqlite');
  return {
    storage: { type: 'typeorm', sqlitePath: file },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    rawDump: async () => {
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT * FROM quickbooks_connections').all();
      db.close();
      return JSON.stringify(rows);
    },
  };
});
