import { openScratchStore } from '../support/scratch-stores';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('TypeORM on MariaDB', async () => {
  const store = await openScratchStore('mariadb', 'qb_core');
  // Everything in the table, as text: the raw-scan test looks for tokens in any encoding.
  return { ...store, rawDump: async () => JSON.stringify(await store.query('SELECT * FROM quickbooks_connections')) };
});
