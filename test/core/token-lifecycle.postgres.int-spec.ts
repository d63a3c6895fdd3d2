import { DataSource } from 'typeorm';
import { QUICKBOOKS_AUTH_ENTITIES } from '@quickbooks-auth/nestjs';
import { openScratchStore, type ScratchSqlStore } from '../support/scratch-stores';
import { describeTokenLifecycle } from './token-lifecycle.suite';

/** Everything in the table, as text: the raw-scan test looks for tokens in any encoding. */
const dumpConnections = async (store: ScratchSqlStore) => JSON.stringify(await store.query('SELECT * FROM quickbooks_connections'));

// The module opens and migrates its own DataSource from the URL (as DATABASE_URL does).
describeTokenLifecycle('TypeORM on PostgreSQL (storage.url)', async () => {
  const store = await openScratchStore('postgres', 'qb_core');
  return { ...store, rawDump: () => dumpConnections(store) };
});

// The host's own DataSource on PostgreSQL, migrated by the module on request.
describeTokenLifecycle('TypeORM on PostgreSQL (host DataSource)', async () => {
  const store = await openScratchStore('postgres', 'qb_core_host');
  const dataSource = new DataSource({ type: 'postgres', url: store.url, entities: [...QUICKBOOKS_AUTH_ENTITIES] });
  return {
    storage: { type: 'typeorm', dataSource, migrationsRun: true },
    cleanup: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await store.cleanup();
    },
    rawDump: () => dumpConnections(store),
  };
});
