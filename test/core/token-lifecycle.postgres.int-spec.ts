import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs';
import { createScratchPostgresDatabase } from '../support/postgres';
import { describeTokenLifecycle } from './token-lifecycle.suite';

/** Everything in the table, as text: the raw-scan test looks for tokens in any encoding. */
async function dumpConnections(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return JSON.stringify((await client.query('SELECT * FROM quickbooks_connections')).rows);
  } finally {
    await client.end();
  }
}

// The module opens and migrates its own DataSource from the URL (as DATABASE_URL does).
describeTokenLifecycle('TypeORM on PostgreSQL (storage.url)', async () => {
  const db = await createScratchPostgresDatabase('qb_core');
  return { storage: { type: 'typeorm', url: db.url }, cleanup: db.drop, rawDump: () => dumpConnections(db.url) };
});

// The host's own DataSource on PostgreSQL, migrated by the module on request.
describeTokenLifecycle('TypeORM on PostgreSQL (host DataSource)', async () => {
  const db = await createScratchPostgresDatabase('qb_core_host');
  const dataSource = new DataSource({ type: 'postgres', url: db.url, entities: [...QUICKBOOKS_AUTH_ENTITIES] });
  return {
    storage: { type: 'typeorm', dataSource, migrationsRun: true },
    cleanup: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
    rawDump: () => dumpConnections(db.url),
  };
});
