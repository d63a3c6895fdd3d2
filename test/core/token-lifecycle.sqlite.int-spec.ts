import { openScratchStore } from '../support/scratch-stores';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('TypeORM on SQLite', async () => {
  const store = await openScratchStore('sqlite', 'qb-core');
  return { ...store, rawDump: async () => JSON.stringify(await store.query('SELECT * FROM quickbooks_connections')) };
});
